"""The interactive viewer: a local web page that decodes a finished run's images on demand.

``run`` reads a run's folder (views, shards, models, ground truth, metrics), ``decoding`` decodes
pairs from the shards into a bounded LRU cache and prefetches neighbouring views and timesteps,
``api`` turns query strings into requests and answers (JSON errors name the parameter), and
``server`` serves the page in ``static/`` and the API over HTTP. Layering: above
``fcnr.evaluation`` and ``fcnr.report`` (it reuses the report's error map), below ``fcnr.cinema``
and ``fcnr.commands``.
"""
