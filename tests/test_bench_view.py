"""The benchmarks' constant page exists only when BENCH_CONSTANT_VIEW is set (``make bench``)."""

import importlib

import pytest
from django.urls import clear_url_caches

import situation_table.urls


@pytest.fixture
def reload_urls(settings):
    """Rebuild the URL configuration after changing the setting, and restore it afterwards."""
    original = settings.BENCH_CONSTANT_VIEW

    def reload():
        importlib.reload(situation_table.urls)
        clear_url_caches()

    yield reload
    # This teardown runs before the settings fixture's: restore the value, then the routes.
    settings.BENCH_CONSTANT_VIEW = original
    reload()


def test_constant_bench_page_is_absent_by_default(client, db, settings):
    assert settings.BENCH_CONSTANT_VIEW is False
    response = client.get("/__bench__/constant/")
    assert response.status_code == 404
    assert b"Situation Table benchmark" not in response.content


def test_constant_bench_page_answers_without_database_when_enabled(
    client, db, settings, reload_urls, django_assert_num_queries
):
    settings.BENCH_CONSTANT_VIEW = True
    reload_urls()
    with django_assert_num_queries(0):
        response = client.get("/__bench__/constant/")
    assert response.status_code == 200
    assert b"Situation Table benchmark" in response.content


def test_constant_bench_page_is_gone_again_after_the_enabled_test(client, db):
    assert client.get("/__bench__/constant/").status_code == 404
