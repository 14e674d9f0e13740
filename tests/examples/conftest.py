"""The PostgreSQL fixtures of the store tests, for the Kubernetes example's real store."""

from tests.store.conftest import pg_url, postgres_server

__all__ = ["pg_url", "postgres_server"]
