"""Model layer: `registry.resolve_model(spec, settings)` gives a `types.ModelClient`; nothing heavy is imported here.

Modules: types (data + protocol), registry (specs, settings, pickers), litellm_client (hosted and local models
through litellm), local_server (the bundled offline model), discovery (running local servers), pricing,
credentials, errors, scripted (script:PATH models).
"""
