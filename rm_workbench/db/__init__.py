"""The local cache: engine, migrations, search index, bulk loading."""
