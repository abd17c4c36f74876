"""``fpgaops serve``: several models behind the Open Inference Protocol (KServe v2) over HTTP.

A layer over the public network runner (the runner knows nothing of it): ``config`` reads
deploy.toml, ``repository`` writes and verifies the model repository, ``runtime`` holds a loaded
version with its instances and dynamic batcher, ``server`` the hot reload and fallback switch,
``app`` the HTTP routes, ``ray_serve`` the same on Ray Serve. See docs/serving.md.

Needs the ``serve`` extra (starlette, uvicorn, prometheus-client; ray[serve] for ``--ray``).
"""
