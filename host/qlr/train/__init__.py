"""Training on the golden model (host side): make or fine-tune a network with mini-batch SGD.

Public API::

    train(net, x, y, config=TrainConfig(...), x_val=None, y_val=None) -> History   # in place
    evaluate(net, x, y, batch_size=256) -> (mean loss, top-1 accuracy)
    TrainConfig(epochs, batch_size, lr, momentum, weight_decay, schedule, bn, bn_momentum, seed,
                progress, trainable)
    History(loss, accuracy, val_loss, val_accuracy, steps, seconds)
    forward_train(net, x, bn="batch"|"frozen") -> (output, Tape)
    backward(net, tape, dout, input_grad=True, stop_after=None) -> ({layer: {param: grad}}, dx)
    update_running_stats(net, tape, momentum=0.1)
"""

from qlr.train.backprop import Tape, backward, forward_train, update_running_stats
from qlr.train.trainer import History, TrainConfig, as_input, evaluate, train

__all__ = ["History", "Tape", "TrainConfig", "as_input", "backward", "evaluate", "forward_train", "train",
           "update_running_stats"]
