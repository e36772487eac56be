"""The FCNR codec: layers, entropy model, model and variants, shards, coding of a timestep, model files.

The bottom of the package: it knows nothing of training, evaluation or the report.

- ``layers``: stereo wrappers, JCTM, SCAM, the stereo context modules, the PE prior;
- ``entropy``: the Laplace conditional entropy model on CompressAI's rANS coder;
- ``model``: FCNR and its ablation variants (``forward`` / ``compress`` / ``decompress``);
- ``params``: the view parameters (t, theta, phi) normalised as the model sees them;
- ``model_io``: a model's folder on disk (config + safetensors weights);
- ``model_files``: that folder's file names and ``model_id``, without torch;
- ``shard``: the random-access shard file format;
- ``coding``: one timestep's pairs to shard records and back to images.
"""
