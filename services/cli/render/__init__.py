"""Pure rendering: the API's JSON in, rich renderables (tables, text) out. No I/O, no clock reads
(the caller passes `now`), so every function is unit-tested on plain dictionaries."""
