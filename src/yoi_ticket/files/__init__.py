"""Files: bounded reads, decoding, atomic writes, OS locks and fault points."""
