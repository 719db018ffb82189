"""What the API answers to OPTIONS."""

from rest_framework.metadata import SimpleMetadata


class ApiMetadata(SimpleMetadata):
    """The view's name, description and the media types it renders and parses. The fields each
    operation takes are documented once, in the OpenAPI schema (/api/schema/): DRF's guess from
    a serializer is not repeated here (most views have no single serializer to guess from)."""

    def determine_actions(self, request, view):
        return {}
