"""The clinic finder's form: the same validation for the HTML page and the JSON endpoint. It only validates;
the search itself is finder.clinic_search."""

from urllib.parse import urlencode

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from .caching import procedure_menu
from .finder import DEFAULT_RADIUS, RADIUS_CHOICES, prefer_reachable
from .geo import MAX_QUERY_LENGTH, PlaceNotFound, origin_for_query, tidy_query


def radius_field_choices():
    """The distance menu, in the active language: "10 miles" ... "Any distance"."""
    return [
        (str(miles), ngettext("%(miles)s mile", "%(miles)s miles", miles) % {"miles": miles})
        for miles in RADIUS_CHOICES
    ] + [("any", _("Any distance"))]


class ClinicSearchForm(forms.Form):
    q = forms.CharField(
        label=gettext_lazy("ZIP code or town"),
        help_text=gettext_lazy("For example 55435, or Edina, MN"),
        max_length=MAX_QUERY_LENGTH,
        required=True,
        error_messages={
            "required": gettext_lazy("Enter a ZIP code or a town to search. For example 55435, or Edina, MN."),
            "max_length": gettext_lazy(
                "That is too long to be a ZIP code or a town. Enter a 5-digit ZIP code or a town and state."
            ),
        },
    )
    radius = forms.ChoiceField(
        label=gettext_lazy("Distance"),
        choices=radius_field_choices,
        required=False,
        error_messages={
            "invalid_choice": gettext_lazy("Choose a distance from the list: 10, 25, 50 or 100 miles, or any distance.")
        },
    )
    procedure = forms.ChoiceField(
        label=gettext_lazy("Procedure"),
        required=False,
        error_messages={"invalid_choice": gettext_lazy("Choose a procedure from the list, or all procedures.")},
    )

    def __init__(self, data=None, **kwargs):
        if data is not None:
            # Keep only our own parameters, tidied, so odd input is never echoed back raw.
            data = {
                name: tidy_query(data.get(name, ""))[: MAX_QUERY_LENGTH + 1] for name in ("q", "radius", "procedure")
            }
        super().__init__(data, **kwargs)
        self.place_choices = []
        self.procedures = procedure_menu()
        self.fields["procedure"].choices = [("", _("All procedures"))] + [
            (p["slug"], p["title"]) for p in self.procedures
        ]
        self.fields["radius"].initial = str(DEFAULT_RADIUS)

    @classmethod
    def from_query(cls, params, *, initial_procedure=""):
        """Bound to the query string when it has a search in it; otherwise an empty form to fill in."""
        params = params.copy()
        if "q" not in params and "zip" in params:
            params["q"] = params["zip"]
        if "q" in params:
            return cls(params)
        return cls(initial={"procedure": initial_procedure, "radius": str(DEFAULT_RADIUS)})

    def clean_q(self):
        """The place searched from, as an Origin (geo.origin_for_query), or the patient-facing reason why not.

        Places the patient may have meant (a town in several states, a spelling slip) are kept in
        `place_choices`, to offer as links.
        """
        try:
            return origin_for_query(self.cleaned_data["q"], prefer=prefer_reachable)
        except PlaceNotFound as error:
            self.place_choices = error.choices
            raise forms.ValidationError(str(error), code=error.code) from None

    def clean_radius(self):
        value = self.cleaned_data.get("radius") or str(DEFAULT_RADIUS)
        return None if value == "any" else int(value)

    def choice_links(self):
        """[(label, query string)] for each place the patient may have meant, keeping their other choices."""
        keep = {name: self.data.get(name) for name in ("radius", "procedure") if self.data.get(name)}
        return [(origin.label, urlencode({"q": origin.query, **keep})) for origin in self.place_choices]

    def error_list(self):
        """[(field id, message)] for the error summary at the top of the page."""
        return [(self[name].auto_id, message) for name, messages in self.errors.items() for message in messages]
