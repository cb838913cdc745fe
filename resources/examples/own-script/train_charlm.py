# Character-level LSTM language model on the Zen of Python, in the style of the PyTorch
# examples' word_language_model. Pure torch and the standard library: no download, no data
# files. The text comes with Python itself (the `this` module, rot13-encoded).
#
#   python train_charlm.py                      # default settings, about 3 seconds on a CPU
#   python train_charlm.py --lr 1.0 --tied --dropout 0.1 --epochs 5
import argparse
import codecs
import contextlib
import io
import math
import time

import torch
import torch.nn as nn

parser = argparse.ArgumentParser(description="PyTorch Zen of Python character-level LSTM model")
parser.add_argument("--lr", type=float, default=2.0,
                    help="initial learning rate (plain SGD)")
parser.add_argument("--clip", type=float, default=0.25,
                    help="gradient clipping")
parser.add_argument("--epochs", type=int, default=3,
                    help="upper epoch limit")
parser.add_argument("--batch_size", type=int, default=8, metavar="N",
                    help="batch size")
parser.add_argument("--bptt", type=int, default=32,
                    help="sequence length")
parser.add_argument("--emsize", type=int, default=32,
                    help="size of character embeddings (equal to --hidden when --tied)")
parser.add_argument("--hidden", type=int, default=64,
                    help="number of hidden units of the LSTM")
parser.add_argument("--dropout", type=float, default=0.2,
                    help="dropout applied to layers (0 = no dropout)")
parser.add_argument("--tied", action="store_true",
                    help="tie the character embedding and softmax weights")
parser.add_argument("--seed", type=int, default=1111,
                    help="random seed")
parser.add_argument("--log-interval", type=int, default=20, metavar="N",
                    help="report interval (batches)")
parser.add_argument("--save", type=str, default="model.pt",
                    help="path to save the final model")
args = parser.parse_args()
print(args)

# Set the random seed manually for reproducibility.
torch.manual_seed(args.seed)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")

###############################################################################
# Load data
###############################################################################

# How many times the training text is seen per epoch: the Zen of Python is short (856
# characters), so one epoch reads its training part several times over.
TRAIN_REPEATS = 50


class Dictionary:
    def __init__(self):
        self.char2idx = {}
        self.idx2char = []

    def add_char(self, char):
        if char not in self.char2idx:
            self.idx2char.append(char)
            self.char2idx[char] = len(self.idx2char) - 1
        return self.char2idx[char]

    def __len__(self):
        return len(self.idx2char)


class Corpus:
    """The Zen of Python split 80/10/10 by characters into train, valid and test."""

    def __init__(self):
        with contextlib.redirect_stdout(io.StringIO()):  # `import this` prints the text
            import this
        text = codecs.decode(this.s, "rot13")
        self.dictionary = Dictionary()
        for char in sorted(set(text)):
            self.dictionary.add_char(char)
        n_train, n_valid = int(len(text) * 0.8), int(len(text) * 0.1)
        self.train = self.tokenize(text[:n_train] * TRAIN_REPEATS)
        self.valid = self.tokenize(text[n_train:n_train + n_valid])
        self.test = self.tokenize(text[n_train + n_valid:])

    def tokenize(self, text):
        return torch.tensor([self.dictionary.char2idx[c] for c in text], dtype=torch.long)


corpus = Corpus()

# Starting from sequential data, batchify arranges the dataset into columns.
# For instance, with the alphabet as the sequence and batch size 4, we'd get
# ┌ a g m s ┐
# │ b h n t │
# │ c i o u │
# │ d j p v │
# │ e k q w │
# └ f l r x ┘.
# These columns are treated as independent by the model, which means that the
# dependence of e. g. 'g' on 'f' can not be learned, but allows more efficient
# batch processing.


def batchify(data, bsz):
    # Work out how cleanly we can divide the dataset into bsz parts.
    nbatch = data.size(0) // bsz
    # Trim off any extra elements that wouldn't cleanly fit (remainders).
    data = data.narrow(0, 0, nbatch * bsz)
    # Evenly divide the data across the bsz batches.
    data = data.view(bsz, -1).t().contiguous()
    return data.to(device)


eval_batch_size = 2
train_data = batchify(corpus.train, args.batch_size)
val_data = batchify(corpus.valid, eval_batch_size)
test_data = batchify(corpus.test, eval_batch_size)

###############################################################################
# Build the model
###############################################################################


class CharLSTM(nn.Module):
    """Container module with an encoder, an LSTM and a decoder."""

    def __init__(self, ntoken, ninp, nhid, dropout=0.2, tie_weights=False):
        super().__init__()
        if tie_weights:
            # "Using the Output Embedding to Improve Language Models" (Press & Wolf 2016):
            # the embedding must then be as wide as the hidden state.
            ninp = nhid
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(ntoken, ninp)
        self.rnn = nn.LSTM(ninp, nhid)
        self.decoder = nn.Linear(nhid, ntoken)
        if tie_weights:
            self.decoder.weight = self.encoder.weight
        self.init_weights()
        self.nhid = nhid

    def init_weights(self):
        initrange = 0.1
        nn.init.uniform_(self.encoder.weight, -initrange, initrange)
        nn.init.zeros_(self.decoder.bias)
        nn.init.uniform_(self.decoder.weight, -initrange, initrange)

    def forward(self, input, hidden):
        emb = self.drop(self.encoder(input))
        output, hidden = self.rnn(emb, hidden)
        output = self.drop(output)
        decoded = self.decoder(output).view(-1, self.decoder.out_features)
        return nn.functional.log_softmax(decoded, dim=1), hidden

    def init_hidden(self, bsz):
        weight = next(self.parameters())
        return (weight.new_zeros(1, bsz, self.nhid), weight.new_zeros(1, bsz, self.nhid))


ntokens = len(corpus.dictionary)
model = CharLSTM(ntokens, args.emsize, args.hidden, args.dropout, args.tied).to(device)
criterion = nn.NLLLoss()

###############################################################################
# Training code
###############################################################################


def repackage_hidden(h):
    """Wraps hidden states in new Tensors, to detach them from their history."""
    if isinstance(h, torch.Tensor):
        return h.detach()
    return tuple(repackage_hidden(v) for v in h)


# get_batch subdivides the source data into chunks of length args.bptt.
# If source is equal to the example output of the batchify function, with
# a bptt-limit of 2, we'd get the following two Variables for i = 0:
# ┌ a g m s ┐ ┌ b h n t ┐
# └ b h n t ┘ └ c i o u ┘
# Note that despite the name of the function, the subdivison of data is not
# done along the batch dimension (i.e. dimension 1), since that was handled
# by the batchify function. The chunks are along dimension 0, corresponding
# to the seq_len dimension in the LSTM.


def get_batch(source, i):
    seq_len = min(args.bptt, len(source) - 1 - i)
    data = source[i:i + seq_len]
    target = source[i + 1:i + 1 + seq_len].view(-1)
    return data, target


def evaluate(data_source):
    # Turn on evaluation mode which disables dropout.
    model.eval()
    total_loss = 0.
    hidden = model.init_hidden(eval_batch_size)
    with torch.no_grad():
        for i in range(0, data_source.size(0) - 1, args.bptt):
            data, targets = get_batch(data_source, i)
            output, hidden = model(data, hidden)
            hidden = repackage_hidden(hidden)
            total_loss += len(data) * criterion(output, targets).item()
    return total_loss / (len(data_source) - 1)


def train():
    # Turn on training mode which enables dropout.
    model.train()
    total_loss = 0.
    start_time = time.time()
    hidden = model.init_hidden(args.batch_size)
    n_batches = (len(train_data) - 1 + args.bptt - 1) // args.bptt
    for batch, i in enumerate(range(0, train_data.size(0) - 1, args.bptt)):
        data, targets = get_batch(train_data, i)
        # Starting each batch, we detach the hidden state from how it was previously produced.
        # If we didn't, the model would try backpropagating all the way to start of the dataset.
        hidden = repackage_hidden(hidden)
        model.zero_grad()
        output, hidden = model(data, hidden)
        loss = criterion(output, targets)
        loss.backward()

        # `clip_grad_norm` helps prevent the exploding gradient problem in RNNs / LSTMs.
        torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        for p in model.parameters():
            p.data.add_(p.grad, alpha=-lr)

        total_loss += loss.item()

        if batch % args.log_interval == 0 and batch > 0:
            cur_loss = total_loss / args.log_interval
            elapsed = time.time() - start_time
            print("| epoch {:3d} | {:5d}/{:5d} batches | lr {:02.2f} | ms/batch {:5.2f} | "
                  "loss {:5.2f} | ppl {:8.2f}".format(
                      epoch, batch, n_batches, lr,
                      elapsed * 1000 / args.log_interval, cur_loss, math.exp(cur_loss)))
            total_loss = 0
            start_time = time.time()


# Loop over epochs.
lr = args.lr
best_val_loss = None

# At any point you can hit Ctrl + C to break out of training early.
try:
    for epoch in range(1, args.epochs + 1):
        epoch_start_time = time.time()
        train()
        val_loss = evaluate(val_data)
        print("-" * 89)
        print("| end of epoch {:3d} | time: {:5.2f}s | valid loss {:5.2f} | "
              "valid ppl {:8.2f}".format(epoch, (time.time() - epoch_start_time),
                                         val_loss, math.exp(val_loss)))
        print("-" * 89)
        # Save the model if the validation loss is the best we've seen so far.
        if not best_val_loss or val_loss < best_val_loss:
            with open(args.save, "wb") as f:
                torch.save(model.state_dict(), f)
            best_val_loss = val_loss
        else:
            # Anneal the learning rate if no improvement has been seen in the validation dataset.
            lr /= 4.0
except KeyboardInterrupt:
    print("-" * 89)
    print("Exiting from training early")

# Load the best saved model (the one in memory if training stopped before the first save).
if best_val_loss is not None:
    with open(args.save, "rb") as f:
        model.load_state_dict(torch.load(f, map_location=device))

# Run on test data.
test_loss = evaluate(test_data)
print("=" * 89)
print("| End of training | test loss {:5.2f} | test ppl {:8.2f}".format(
    test_loss, math.exp(test_loss)))
print("=" * 89)
