"""One extractor module per format, chosen by sniffed content in ``registry``."""
