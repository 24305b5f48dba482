/* The section editor's live checks, line numbers and image upload (admin only; progressive enhancement).
 *
 * For every markdownx editor on the page (procedures/widgets.py SectionBodyWidget):
 * - while staff type (600 ms after the last key) the text goes to the staff-only checks endpoint
 *   (procedures/checks.py, the same code that checks at save) and the answer is shown: the preview,
 *   the reading grade (read out politely by screen readers), each sentence above grade 10 with its line,
 *   plain-language suggestions and what a save would refuse. Each item is a button that selects its line.
 * - line numbers beside the textarea, so "line 12" means something; data-error-line="12" on the textarea
 *   or its wrapper (put there after a failed save) marks, selects and scrolls to that line.
 * - "Add image" and drag and drop (or paste) ask for the image's alt text before anything is inserted,
 *   upload through markdownx's upload address, and insert ![alt](address) at the cursor. A refused upload
 *   shows the server's own message beside the editor and leaves the text as it was. markdownx's own drop
 *   and paste handlers are stopped before they run: they insert the words "Invalid response" on failure.
 *
 * No inline script or style is needed (the Content Security Policy allows neither): styles are classes in
 * static/admin/css/section-checks.css; only heights and offsets are set through element.style.
 */
(function () {
  "use strict";

  var DEBOUNCE_MS = 600;
  var ACCEPTED_TYPES = "image/jpeg,image/png,image/webp";
  var counter = 0;

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function csrfToken(textarea) {
    var form = textarea.form || document;
    var input = form.querySelector("input[name='csrfmiddlewaretoken']") ||
      document.querySelector("input[name='csrfmiddlewaretoken']");
    if (input) return input.value;
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  /* POST form data; resolves to {ok, status, data} where data is the parsed JSON or null. */
  function post(url, data, textarea, signal) {
    var body = new FormData();
    Object.keys(data).forEach(function (key) { body.append(key, data[key]); });
    return fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      signal: signal,
      headers: { "X-CSRFToken": csrfToken(textarea), "X-Requested-With": "XMLHttpRequest" }
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      var parsed = type.indexOf("application/json") === 0 ? response.json().catch(function () { return null; })
        : Promise.resolve(null);
      return parsed.then(function (json) {
        return { ok: response.ok && !response.redirected, status: response.status, redirected: response.redirected, data: json };
      });
    });
  }

  function lineStart(text, line) {
    var position = 0;
    for (var number = 1; number < line; number += 1) {
      var next = text.indexOf("\n", position);
      if (next === -1) return text.length;
      position = next + 1;
    }
    return position;
  }

  function SectionEditor(wrapper, textarea) {
    this.wrapper = wrapper;
    this.textarea = textarea;
    this.preview = wrapper.querySelector(".markdownx-preview");
    this.checksUrl = wrapper.getAttribute("data-checks-url");
    this.uploadUrl = textarea.getAttribute("data-markdownx-upload-urls-path") || "/markdownx/upload/";
    this.markedGrade = wrapper.getAttribute("data-marked-grade") || "10";
    this.id = "section-editor-" + (counter += 1);
    this.timer = null;
    this.request = null;
    this.marks = {};
    this.build();
    this.listen();
    this.renderLines();
    this.check();
    var errorLine = parseInt(textarea.getAttribute("data-error-line") || wrapper.getAttribute("data-error-line"), 10);
    if (errorLine > 0) this.goToLine(errorLine, { error: true, focus: !document.querySelector(".section-editor-error-shown") });
  }

  SectionEditor.prototype.build = function () {
    var textarea = this.textarea;
    this.wrapper.classList.add("section-editor-ready");

    // Toolbar: Add image (a button that opens a file chooser), the drag-and-drop hint and upload messages.
    var toolbar = element("div", "section-editor-toolbar");
    this.imageButton = element("button", "button section-editor-add-image", "Add image");
    this.imageButton.type = "button";
    this.fileInput = element("input", "section-editor-file");
    this.fileInput.type = "file";
    this.fileInput.accept = ACCEPTED_TYPES;
    this.fileInput.tabIndex = -1;
    this.fileInput.setAttribute("aria-hidden", "true");
    var hint = element("span", "section-editor-hint", "or drag a picture into the text. JPEG, PNG or WebP, up to 5 MB.");
    this.uploadMessage = element("p", "section-editor-upload-message");
    this.uploadMessage.id = this.id + "-upload";
    this.uploadMessage.setAttribute("role", "status");
    toolbar.appendChild(this.imageButton);
    toolbar.appendChild(this.fileInput);
    toolbar.appendChild(hint);

    // The alt text question, asked before anything is uploaded or inserted.
    this.altBox = element("div", "section-editor-alt");
    this.altBox.hidden = true;
    this.altBox.setAttribute("role", "group");
    this.altBox.setAttribute("aria-labelledby", this.id + "-alt-label");
    var altLabel = element("label", "section-editor-alt-label", "Describe the picture for someone who cannot see it (alt text)");
    altLabel.id = this.id + "-alt-label";
    altLabel.htmlFor = this.id + "-alt";
    this.altFile = element("p", "section-editor-alt-file");
    this.altInput = element("input", "vTextField section-editor-alt-input");
    this.altInput.id = this.id + "-alt";
    this.altInput.type = "text";
    this.altInput.maxLength = 250;
    this.altInput.setAttribute("aria-describedby", this.id + "-alt-error");
    this.altError = element("p", "section-editor-alt-error");
    this.altError.id = this.id + "-alt-error";
    this.altError.setAttribute("role", "alert");
    this.altInsert = element("button", "button default section-editor-alt-insert", "Upload and insert");
    this.altInsert.type = "button";
    this.altCancel = element("button", "button section-editor-alt-cancel", "Cancel");
    this.altCancel.type = "button";
    [altLabel, this.altFile, this.altInput, this.altError, this.altInsert, this.altCancel].forEach(function (node) {
      this.altBox.appendChild(node);
    }, this);

    // Line numbers: one number per line of the text, as tall as that line is when wrapped.
    this.frame = element("div", "section-editor-frame");
    this.gutter = element("div", "section-editor-gutter");
    this.gutter.setAttribute("aria-hidden", "true");
    this.mirror = element("div", "section-editor-mirror");
    this.mirror.setAttribute("aria-hidden", "true");
    textarea.parentNode.insertBefore(toolbar, textarea);
    textarea.parentNode.insertBefore(this.altBox, textarea);
    textarea.parentNode.insertBefore(this.uploadMessage, textarea);
    textarea.parentNode.insertBefore(this.frame, textarea);
    this.frame.appendChild(this.gutter);
    this.frame.appendChild(textarea);
    this.frame.appendChild(this.mirror);
    this.position = element("p", "section-editor-position");
    this.position.id = this.id + "-position";
    this.frame.parentNode.insertBefore(this.position, this.frame.nextSibling);
    var described = (textarea.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    described.push(this.position.id);
    textarea.setAttribute("aria-describedby", described.join(" "));

    // The checks: the grade is read out when it changes; the lists are for reading and jumping to a line.
    this.panel = element("section", "section-checks");
    this.panel.setAttribute("aria-label", "Checks on this text");
    this.grade = element("p", "section-checks-grade", "Checking the text\u2026");
    this.grade.setAttribute("aria-live", "polite");
    this.grade.setAttribute("aria-atomic", "true");
    this.lists = element("div", "section-checks-lists");
    this.panel.appendChild(element("h3", "section-checks-title", "Checks while you type"));
    this.panel.appendChild(this.grade);
    this.panel.appendChild(this.lists);
    this.frame.parentNode.insertBefore(this.panel, this.position.nextSibling);
    if (this.preview) {
      var previewTitle = element("h3", "section-editor-preview-title", "Preview");
      this.preview.parentNode.insertBefore(previewTitle, this.preview);
    }
  };

  SectionEditor.prototype.listen = function () {
    var self = this;
    var textarea = this.textarea;
    textarea.addEventListener("input", function () {
      self.renderLines();
      self.clearErrorMark();
      clearTimeout(self.timer);
      self.timer = setTimeout(function () { self.check(); }, DEBOUNCE_MS);
    });
    textarea.addEventListener("scroll", function () { self.gutter.scrollTop = textarea.scrollTop; });
    ["keyup", "click", "focus", "select"].forEach(function (type) {
      textarea.addEventListener(type, function () { self.showPosition(); });
    });
    window.addEventListener("resize", function () { self.renderLines(); });
    if (window.ResizeObserver) new ResizeObserver(function () { self.renderLines(); }).observe(textarea);

    this.imageButton.addEventListener("click", function () { self.fileInput.value = ""; self.fileInput.click(); });
    this.fileInput.addEventListener("change", function () {
      if (self.fileInput.files.length) self.askAltText(self.fileInput.files[0]);
    });
    // Capture on the wrapper runs before markdownx's own handlers on the textarea; stopping the event here
    // means they never see the file.
    this.wrapper.addEventListener("drop", function (event) { self.takeFiles(event, event.dataTransfer); }, true);
    this.wrapper.addEventListener("paste", function (event) { self.takeFiles(event, event.clipboardData); }, true);
    this.altInsert.addEventListener("click", function () { self.insertImage(); });
    this.altCancel.addEventListener("click", function () { self.closeAltText(); textarea.focus(); });
    this.altInput.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); self.insertImage(); }  // never submits the page
      if (event.key === "Escape") { event.preventDefault(); self.closeAltText(); textarea.focus(); }
    });
  };

  SectionEditor.prototype.takeFiles = function (event, transfer) {
    if (!transfer || !transfer.files || !transfer.files.length) return;
    event.stopPropagation();  // markdownx's handlers never see a file
    // Text copied from a word processor can carry a picture of itself: paste the text, as the editor expects.
    if (event.type === "paste" && transfer.getData("text/plain")) return;
    event.preventDefault();
    if (transfer.files.length > 1) {
      this.showUploadMessage("Add one picture at a time: the first one is ready to describe.", true);
    }
    this.askAltText(transfer.files[0]);
  };

  SectionEditor.prototype.askAltText = function (file) {
    this.pendingFile = file;
    this.selection = [this.textarea.selectionStart, this.textarea.selectionEnd];
    this.altFile.textContent = "Picture: " + file.name;
    this.altError.textContent = "";
    this.altInput.value = "";
    this.altInput.removeAttribute("aria-invalid");
    this.altBox.hidden = false;
    this.altInput.focus();
  };

  SectionEditor.prototype.closeAltText = function () {
    this.altBox.hidden = true;
    this.pendingFile = null;
  };

  SectionEditor.prototype.showUploadMessage = function (message, isError) {
    this.uploadMessage.textContent = message;
    this.uploadMessage.classList.toggle("is-error", Boolean(isError));
    this.uploadMessage.setAttribute("role", isError ? "alert" : "status");
  };

  SectionEditor.prototype.insertImage = function () {
    var self = this;
    var alt = this.altInput.value.replace(/[\[\]\r\n]+/g, " ").replace(/\s+/g, " ").trim();
    if (!alt) {
      this.altError.textContent = "Write what the picture shows first. Nothing has been added yet.";
      this.altInput.setAttribute("aria-invalid", "true");
      this.altInput.focus();
      return;
    }
    var file = this.pendingFile;
    if (!file) return;
    this.closeAltText();
    this.wrapper.classList.add("is-uploading");
    this.showUploadMessage("Uploading " + file.name + "\u2026", false);
    post(this.uploadUrl, { image: file }, this.textarea).then(function (answer) {
      var code = answer.ok && answer.data && answer.data.image_code;
      var address = code && code.match(/\]\(([^)\s]+)\)\s*$/);
      if (!address) throw answer;
      self.insertText("![" + alt + "](" + address[1] + ")", true);
      self.showUploadMessage("Added " + file.name + ". Check the preview below.", false);
    }).catch(function (answer) {
      self.showUploadMessage(self.uploadFailure(answer, file), true);
    }).then(function () {
      self.wrapper.classList.remove("is-uploading");
    });
  };

  SectionEditor.prototype.uploadFailure = function (answer, file) {
    var prefix = "Not added: ";
    var data = answer && answer.data;
    if (data && data.image && data.image.length) return prefix + data.image.join(" ");
    if (data && data.error) return prefix + data.error;
    if (answer && answer.redirected) return prefix + "you have been signed out. Sign in again in a new tab, then try again.";
    if (answer && answer.status === 413) return prefix + "\u201c" + file.name + "\u201d is too large. The limit is 5 MB.";
    if (answer && answer.status === 403) return prefix + "the server refused the upload. Reload the page and try again.";
    if (answer && answer.status) return prefix + "the server could not take the picture (error " + answer.status + "). Try again in a minute.";
    return prefix + "the server could not be reached. Check your connection and try again.";
  };

  /* Insert text at the cursor (or over the selection); a block (an image) gets a paragraph of its own. */
  SectionEditor.prototype.insertText = function (text, block) {
    var textarea = this.textarea;
    var start = this.selection ? this.selection[0] : textarea.selectionStart;
    var end = this.selection ? this.selection[1] : textarea.selectionEnd;
    var value = textarea.value;
    if (block) {
      var before = value.slice(0, start);
      var after = value.slice(end);
      if (before && !/\n\n$/.test(before)) text = (/\n$/.test(before) ? "\n" : "\n\n") + text;
      if (after && !/^\n\n/.test(after)) text += /^\n/.test(after) ? "\n" : "\n\n";
    }
    textarea.value = value.slice(0, start) + text + value.slice(end);
    textarea.focus();
    textarea.setSelectionRange(start + text.length, start + text.length);
    this.selection = null;
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  };

  SectionEditor.prototype.check = function () {
    var self = this;
    if (!this.checksUrl) return;
    if (this.request) this.request.abort();
    this.request = window.AbortController ? new AbortController() : null;
    var text = this.textarea.value;
    post(this.checksUrl, { markdown: text }, this.textarea, this.request && this.request.signal).then(function (answer) {
      if (self.textarea.value !== text) return;  // typed on since: the next answer will come
      if (!answer.ok || !answer.data) {
        self.setGrade(self.checkFailure(answer));
        return;
      }
      self.render(answer.data);
    }).catch(function (error) {
      if (error && error.name === "AbortError") return;
      self.setGrade("The checks could not reach the server. They will run again as you type.");
    });
  };

  SectionEditor.prototype.checkFailure = function (answer) {
    if (answer.redirected) return "The checks stopped: you have been signed out. Sign in again in a new tab.";
    if (answer.data && answer.data.error) return answer.data.error;
    return "The checks could not run (error " + answer.status + "). They will run again as you type.";
  };

  SectionEditor.prototype.setGrade = function (message, css) {
    if (this.grade.textContent !== message) this.grade.textContent = message;
    this.grade.className = "section-checks-grade" + (css ? " " + css : "");
  };

  SectionEditor.prototype.render = function (report) {
    var hard = report.grade !== null && report.grade > report.target_grade;
    this.setGrade(report.grade_message, report.grade === null ? "" : hard ? "is-hard" : "is-good");
    if (this.preview) this.preview.innerHTML = report.html;  // sanitised by the server's one pipeline
    this.lists.textContent = "";
    this.marks = {};
    this.addList(
      "Will not save until fixed",
      "is-problem",
      report.problems.map(function (item) { return { line: item.line, text: item.message, kind: "problem" }; })
    );
    var warned = {};
    report.sentence_warnings.forEach(function (item) { warned[item.line + "|" + item.text] = true; });
    this.addList(
      "Sentences above grade " + this.markedGrade,
      "is-sentences",
      report.hard_sentences.map(function (item) {
        var veryHard = warned[item.line + "|" + item.text];
        return {
          line: item.line,
          text: (veryHard ? "Too hard, grade " : "Grade ") + item.grade + ": \u201c" + item.text + "\u201d",
          kind: veryHard ? "warning" : "sentence"
        };
      })
    );
    this.addList(
      "Plainer words",
      "is-suggestions",
      report.suggestions.map(function (item) {
        var text = item.kind === "term" ? item.word + ": " + item.plainer : item.word + " \u2192 " + item.plainer;
        return { line: item.line, text: text + ", line " + item.line, kind: "suggestion", plain: true };
      })
    );
    if (!this.lists.children.length && report.grade !== null) {
      this.lists.appendChild(element("p", "section-checks-none", "No hard sentences or hard words found."));
    }
    this.renderLines();
  };

  SectionEditor.prototype.addList = function (title, css, items) {
    if (!items.length) return;
    var self = this;
    var box = element("div", "section-checks-group " + css);
    box.appendChild(element("h4", "", title + " (" + items.length + ")"));
    var list = element("ul");
    items.forEach(function (item) {
      var entry = element("li", "section-checks-item is-" + item.kind);
      if (item.line) {
        var button = element("button", "section-checks-line", item.plain ? item.text : "Line " + item.line + ": " + item.text);
        button.type = "button";
        button.setAttribute("data-line", item.line);
        button.title = "Select line " + item.line + " in the text";
        button.addEventListener("click", function () { self.goToLine(item.line, { focus: true }); });
        entry.appendChild(button);
        var kinds = self.marks[item.line] || (self.marks[item.line] = {});
        kinds[item.kind] = true;
      } else {
        entry.textContent = item.text;
      }
      list.appendChild(entry);
    });
    box.appendChild(list);
    this.lists.appendChild(box);
  };

  /* Line numbers, each as tall as its line is once wrapped (measured on a hidden copy of the text). */
  SectionEditor.prototype.renderLines = function () {
    var textarea = this.textarea;
    var lines = textarea.value.split("\n");
    var style = window.getComputedStyle(textarea);
    var mirror = this.mirror;
    mirror.style.width = textarea.clientWidth + "px";
    mirror.style.font = style.font;
    mirror.style.letterSpacing = style.letterSpacing;
    mirror.style.paddingLeft = style.paddingLeft;
    mirror.style.paddingRight = style.paddingRight;
    mirror.style.lineHeight = style.lineHeight;
    mirror.textContent = "";
    lines.forEach(function (line) { mirror.appendChild(element("div", "", line || "\u200b")); });
    var gutter = this.gutter;
    gutter.textContent = "";
    gutter.style.paddingTop = style.paddingTop;
    gutter.style.height = textarea.offsetHeight + "px";
    var marks = this.marks;
    var errorLine = this.errorLine;
    Array.prototype.forEach.call(mirror.children, function (row, index) {
      var number = element("div", "section-editor-line-number", String(index + 1));
      number.style.height = row.offsetHeight + "px";
      number.style.lineHeight = style.lineHeight;
      var kinds = marks[index + 1];
      if (kinds) {
        if (kinds.problem) number.classList.add("is-problem");
        else if (kinds.warning || kinds.sentence) number.classList.add("is-hard");
        else number.classList.add("is-suggestion");
      }
      if (errorLine === index + 1) number.classList.add("is-error-line");
      gutter.appendChild(number);
    });
    gutter.appendChild(element("div", "section-editor-gutter-end"));
    gutter.scrollTop = textarea.scrollTop;
  };

  SectionEditor.prototype.lineTop = function (line) {
    var row = this.mirror.children[line - 1];
    return row ? row.offsetTop : 0;
  };

  SectionEditor.prototype.goToLine = function (line, options) {
    var textarea = this.textarea;
    var lines = textarea.value.split("\n");
    line = Math.max(1, Math.min(line, lines.length));
    var start = lineStart(textarea.value, line);
    if (options && options.error) {
      this.errorLine = line;
      this.wrapper.classList.add("section-editor-error-shown");
      this.renderLines();
    }
    var focus = !options || options.focus !== false;
    if (focus) textarea.focus({ preventScroll: true });
    textarea.setSelectionRange(start, start + lines[line - 1].length);
    textarea.scrollTop = Math.max(0, this.lineTop(line) - textarea.clientHeight / 3);
    this.gutter.scrollTop = textarea.scrollTop;
    // Only the editor that takes the focus scrolls the page (several may name a line after a failed save).
    if (focus) this.frame.scrollIntoView({ block: "center" });
    this.showPosition();
  };

  SectionEditor.prototype.clearErrorMark = function () {
    if (!this.errorLine) return;
    this.errorLine = null;
    this.wrapper.classList.remove("section-editor-error-shown");
  };

  SectionEditor.prototype.showPosition = function () {
    var before = this.textarea.value.slice(0, this.textarea.selectionStart);
    var line = before.split("\n").length;
    var total = this.textarea.value.split("\n").length;
    var text = "Line " + line + " of " + total;
    if (this.errorLine) text += ". The problem is on line " + this.errorLine + ".";
    if (this.position.textContent !== text) this.position.textContent = text;
  };

  function enhance(root) {
    var wrappers = (root || document).querySelectorAll(".markdownx");
    Array.prototype.forEach.call(wrappers, function (wrapper) {
      if (wrapper.hasAttribute("data-section-checks") || wrapper.closest(".empty-form")) return;
      var textarea = wrapper.querySelector("textarea");
      if (!textarea || /__prefix__/.test(textarea.name)) return;
      wrapper.setAttribute("data-section-checks", "");
      var withUrl = document.querySelector("[data-checks-url]");  // a plain markdownx editor beside ours
      if (!wrapper.hasAttribute("data-checks-url") && withUrl) {
        wrapper.setAttribute("data-checks-url", withUrl.getAttribute("data-checks-url"));
      }
      new SectionEditor(wrapper, textarea);
    });
  }

  function start() {
    enhance(document);
    // Django's admin adds inline rows by cloning the empty form: enhance the copy.
    document.addEventListener("formset:added", function (event) { enhance(event.target); });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
