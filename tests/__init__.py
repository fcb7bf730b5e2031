"""The tests as a package: a module pytest collects is the one another test imports helpers from
(tests.test_export), imported once; without it 21 were imported twice (conftest too), their
module-scoped fixtures and state with them."""
