"""The section editor: django-markdownx's admin textarea with the live checks, image button and formatting guide.

The textarea and preview are markdownx's own (so its preview, tab keys and resizing keep working); this adds
static/admin/js/section-checks.js and its stylesheet through the widget's Media, so they load only on admin
screens whose form uses this widget, and the public site stays script-free. The script needs nothing inline
(the Content Security Policy allows scripts and styles from this site only): it reads its addresses from
data- attributes that the template writes. Without JavaScript the editor is a plain textarea, and the
formatting guide (a <details> disclosure) still opens.

A failed save can point the editor at a line: give the widget (or its wrapper) data-error-line="12" and the
script marks, selects and scrolls to line 12.
"""

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from markdownx.widgets import AdminMarkdownxWidget

from .checks import MARKED_SENTENCE_GRADE
from .readability import SENTENCE_WARNING_GRADE, TARGET_GRADE


class SectionBodyWidget(AdminMarkdownxWidget):
    template_name = "markdownx/section_editor.html"

    def __init__(self, attrs=None):
        super().__init__({"rows": 16, "spellcheck": "true", **(attrs or {})})

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["checks"] = {
            "url": reverse("section_checks"),
            "target_grade": f"{TARGET_GRADE:g}",
            "marked_grade": f"{MARKED_SENTENCE_GRADE:g}",
            "warning_grade": f"{SENTENCE_WARNING_GRADE:g}",
        }
        return context

    def _render(self, template_name, context, renderer=None):
        # The textarea itself through the form renderer (where Django's widget templates are); the editor
        # around it from the project's templates (templates/markdownx/), which that renderer does not search.
        context["textarea"] = super()._render("django/forms/widgets/textarea.html", context, renderer)
        return mark_safe(render_to_string(template_name, context))

    class Media:
        css = {"all": ["admin/css/section-checks.css"]}
        js = ["admin/js/section-checks.js"]
