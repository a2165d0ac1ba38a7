from django.forms.renderers import TemplatesSetting


class PortalFormRenderer(TemplatesSetting):
    """Render ``{{ form }}`` and ``{{ field.as_field_group }}`` our way."""

    form_template_name = "components/form.html"
    field_template_name = "components/field.html"
