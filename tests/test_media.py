import pytest

from .factories import make_image

pytestmark = pytest.mark.django_db


def test_media_is_served_only_while_serve_media_is_on(client, settings):
    image = make_image("photo.jpg")
    settings.SERVE_MEDIA = False
    assert client.get(image.file.url).status_code == 404
    settings.SERVE_MEDIA = True
    response = client.get(image.file.url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == image.file.open("rb").read()


def test_media_paths_cannot_escape_media_root(client, settings):
    settings.SERVE_MEDIA = True
    for path in ["/media/../manage.py", "/media/%2e%2e/manage.py", "/media/images/../../x"]:
        response = client.get(path)
        assert response.status_code in (400, 404)
        assert b"SECRET" not in response.content
