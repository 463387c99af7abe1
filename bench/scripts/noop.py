# parajob entry script for the scheduling-rate benchmark (Python worker): does nothing.
def run(mini_batch):
    return mini_batch
