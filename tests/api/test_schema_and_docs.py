"""The OpenAPI contract is public and complete; the docs load their assets from this site."""

import re

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_schema_is_public_and_names_the_api(client):
    response = client.get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "Situation Table API"
    assert {"tokenAuth", "cookieAuth"} <= set(schema["components"]["securitySchemes"])


def test_every_operation_documents_its_errors(client):
    schema = client.get("/api/schema/?format=json").json()
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            codes = set(operation["responses"])
            assert {"401", "403", "404", "429"} <= codes, (method, path)
            if method in ("post", "patch", "delete"):
                assert "409" in codes, (method, path)
            if "requestBody" in operation:
                assert "400" in codes, (method, path)


def test_schema_generation_is_warning_free(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml"))


@pytest.mark.parametrize("page", ["/api/docs/", "/api/redoc/"])
def test_docs_pages_use_local_assets(client, page):
    response = client.get(page)
    assert response.status_code == 200
    scripts = re.findall(r'<script src="([^"]+)"', response.content.decode())
    assert scripts and all(src.startswith("/") for src in scripts)
    assert "cdn.jsdelivr" not in response.content.decode()
