"""Training FCNR: the paper's split, image-pair data, the rate-distortion loss and the trainer."""
