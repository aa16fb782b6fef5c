"""Tryton on one machine, for `make run CRM=tryton` and the tests: a trytond process on SQLite with the
`groundtruth` module, its web client (sao, installed from npm by `make install`) served by trytond
itself, and loaders that fill it through Tryton's API."""
