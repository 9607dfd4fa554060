from tests.local_model_fixture import bundled_server  # noqa: F401  (session fixture for @pytest.mark.local_model)
