"""ResNet GAN with spectral normalisation (SNGAN, Miyato et al. 2018; the conditional form of
Miyato & Koyama 2018), written in PyTorch for gan_dist --model.arch=torchscript.

G: z -> linear -> residual up-blocks (norm, ReLU, nearest 2x, 3x3 convolution, norm, ReLU, 3x3
convolution, plus a 1x1 shortcut) -> norm, ReLU, 3x3 convolution -> tanh. Its norms are group
norms followed by a learned gain and bias per channel (per class when conditional: conditional
batch norm's class gains, with statistics of each row alone), so a row's output never depends on
the other rows of its batch and training stays world-size invariant. D: residual down-blocks
(two 3x3 convolutions, average pooling, a 1x1 shortcut) -> ReLU -> sum over positions -> one
linear logit, plus, when conditional, the projection term <embed(y), features>. Every layer of
D is spectrally normalised (one power iteration per training forward, its vectors kept as
buffers: checkpointed and replicated by gan_dist).

    python3 configs/networks/resnet_sngan.py --out scripted_networks/resnet_fashion_mnist --shape 1 28 28
    python3 configs/networks/resnet_sngan.py --out scripted_networks/resnet_icons --shape 3 64 64
    python3 configs/networks/resnet_sngan.py --out scripted_networks/resnet_fashion_mnist_conditional \\
        --shape 1 28 28 --classes 10

writes OUT/generator.pt and OUT/discriminator.pt (torch.jit.script(...).save).
"""
import argparse
import math
import os
from typing import List

import torch
import torch.nn.functional as F
from torch import nn


def _power_iteration(weight: torch.Tensor, u: torch.Tensor, v: torch.Tensor, training: bool):
    """sigma(W) by one power iteration from the kept vectors; the vectors move only in training."""
    w = weight.flatten(1)
    if training:
        with torch.no_grad():
            v.copy_(F.normalize(torch.mv(w.t(), u), dim=0, eps=1e-12))
            u.copy_(F.normalize(torch.mv(w, v), dim=0, eps=1e-12))
    # Copies: the kept vectors change in the next forward, before this one's backward may run.
    return torch.dot(u.clone(), torch.mv(w, v.clone()))


class SNConv2d(nn.Module):
    def __init__(self, cin: int, cout: int, kernel: int, padding: int):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(cout, cin, kernel, kernel))
        self.bias = nn.Parameter(torch.zeros(cout))
        nn.init.xavier_uniform_(self.weight, math.sqrt(2) if kernel == 3 else 1.0)
        self.register_buffer("u", F.normalize(torch.randn(cout), dim=0))
        self.register_buffer("v", F.normalize(torch.randn(cin * kernel * kernel), dim=0))
        self.padding = padding

    def forward(self, x):
        sigma = _power_iteration(self.weight, self.u, self.v, self.training)
        return F.conv2d(x, self.weight / sigma, self.bias, 1, self.padding)


class SNLinear(nn.Module):
    def __init__(self, cin: int, cout: int):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(cout, cin))
        self.bias = nn.Parameter(torch.zeros(cout))
        nn.init.xavier_uniform_(self.weight)
        self.register_buffer("u", F.normalize(torch.randn(cout), dim=0))
        self.register_buffer("v", F.normalize(torch.randn(cin), dim=0))

    def forward(self, x):
        sigma = _power_iteration(self.weight, self.u, self.v, self.training)
        return F.linear(x, self.weight / sigma, self.bias)


class ConditionalNorm(nn.Module):
    """Group norm without its own affine, then a gain and bias per channel: learned, or per class
    when conditional (classes > 0: conditional batch norm's class gains with per-row statistics).
    A row's output never depends on the other rows of its batch, so training is world-size
    invariant, unlike batch norm's."""

    def __init__(self, channels: int, classes: int):
        super().__init__()
        self.norm = nn.GroupNorm(min(8, channels), channels, affine=False)
        self.gain = nn.Embedding(max(classes, 1), channels)
        self.bias = nn.Embedding(max(classes, 1), channels)
        nn.init.ones_(self.gain.weight)
        nn.init.zeros_(self.bias.weight)

    def forward(self, x, labels):
        gain = self.gain(labels)[:, :, None, None]
        bias = self.bias(labels)[:, :, None, None]
        return self.norm(x) * gain + bias


def conv(cin: int, cout: int, kernel: int):
    """G's convolutions: plain (spectral normalisation is D's; G is normalised by its norms)."""
    layer = nn.Conv2d(cin, cout, kernel, padding=kernel // 2)
    nn.init.xavier_uniform_(layer.weight, math.sqrt(2) if kernel == 3 else 1.0)
    nn.init.zeros_(layer.bias)
    return layer


class GBlock(nn.Module):
    def __init__(self, cin: int, cout: int, classes: int):
        super().__init__()
        self.norm1 = ConditionalNorm(cin, classes)
        self.conv1 = conv(cin, cout, 3)
        self.norm2 = ConditionalNorm(cout, classes)
        self.conv2 = conv(cout, cout, 3)
        self.shortcut = conv(cin, cout, 1)

    def forward(self, x, labels):
        h = F.interpolate(F.relu(self.norm1(x, labels)), scale_factor=2.0, mode="nearest")
        h = self.conv2(F.relu(self.norm2(self.conv1(h), labels)))
        return h + self.shortcut(F.interpolate(x, scale_factor=2.0, mode="nearest"))


def d_conv(cin: int, cout: int, kernel: int, spectral: bool):
    """D's convolutions: spectrally normalised (SNGAN), or plain for a D held by a gradient
    penalty instead (--d-norm none with --train.r1_gamma, as StyleGAN2's residual D)."""
    return SNConv2d(cin, cout, kernel, kernel // 2) if spectral else conv(cin, cout, kernel)


class DBlock(nn.Module):
    def __init__(self, cin: int, cout: int, first: bool, spectral: bool = True):
        super().__init__()
        self.conv1 = d_conv(cin, cout, 3, spectral)
        self.conv2 = d_conv(cout, cout, 3, spectral)
        self.shortcut = d_conv(cin, cout, 1, spectral)
        self.first = first

    def forward(self, x):
        h = x if self.first else F.relu(x)
        h = F.avg_pool2d(self.conv2(F.relu(self.conv1(h))), 2)
        s = self.shortcut(F.avg_pool2d(x, 2)) if self.first else F.avg_pool2d(self.shortcut(x), 2)
        return h + s


def stages_for(side: int) -> int:
    """Halvings of the image side down to a base of 4 to 7 (28 -> 7: 2; 32 -> 4: 3; 64 -> 4: 4)."""
    stages = 0
    while side % 2 == 0 and side // 2 >= 4:
        side //= 2
        stages += 1
    return stages


class Generator(nn.Module):
    def __init__(self, shape: List[int], latent_dim: int = 128, channels: int = 64, classes: int = 0):
        super().__init__()
        self.latent_dim = latent_dim
        self.classes = classes
        stages = stages_for(shape[1])
        self.base = shape[1] >> stages
        # Channels halve at each doubling of the side, down to `channels` next to the image.
        widths = [channels * 2 ** min(max(stages - 1 - i, 0), 3) for i in range(stages + 1)]
        self.top = widths[0]
        self.project = nn.Linear(latent_dim, self.top * self.base * self.base)
        self.blocks = nn.ModuleList([GBlock(widths[i], widths[i + 1], classes) for i in range(stages)])
        last = widths[stages]
        self.norm_out = ConditionalNorm(last, classes)
        self.out = conv(last, shape[0], 3)

    def forward(self, z):
        return self.body(z, torch.zeros(z.size(0), dtype=torch.long, device=z.device))

    def body(self, z, labels):
        h = self.project(z).view(z.size(0), self.top, self.base, self.base)
        for block in self.blocks:
            h = block(h, labels)
        return torch.tanh(self.out(F.relu(self.norm_out(h, labels))))


class ConditionalGenerator(Generator):
    def forward(self, z, labels):
        return self.body(z, labels)


class Discriminator(nn.Module):
    def __init__(self, shape: List[int], channels: int = 64, classes: int = 0, spectral: bool = True):
        super().__init__()
        self.classes = classes
        stages = stages_for(shape[1])
        widths = [channels * 2 ** min(i, 3) for i in range(stages + 1)]
        self.blocks = nn.ModuleList([DBlock(shape[0] if i == 0 else widths[i - 1], widths[i], i == 0, spectral)
                                     for i in range(stages)])
        self.features = widths[stages - 1]
        self.head = SNLinear(self.features, 1) if spectral else nn.Linear(self.features, 1)
        self.projection = nn.Embedding(max(classes, 1), self.features)
        nn.init.xavier_uniform_(self.projection.weight)

    def forward(self, x):
        return self.head(self.pooled(x))

    def pooled(self, x):
        h = x
        for block in self.blocks:
            h = block(h)
        return F.relu(h).sum([2, 3])


class ConditionalDiscriminator(Discriminator):
    def forward(self, x, labels):
        f = self.pooled(x)
        return self.head(f) + (self.projection(labels) * f).sum(1, keepdim=True)


def build(shape, classes: int = 0, latent_dim: int = 128, channels: int = 64, d_channels: int = 0,
          spectral: bool = True):
    """G and D for images of `shape` [C, H, W]; ValueError for a shape the blocks cannot fit."""
    if len(shape) != 3 or shape[1] != shape[2]:
        raise ValueError(f"shape {list(shape)}: expected square images C H W")
    if stages_for(shape[1]) == 0:
        raise ValueError(f"shape {list(shape)}: the side must halve at least once to 4 or more (e.g. 28, 32, 64)")
    if channels < 1 or d_channels < 0 or latent_dim < 1 or classes < 0:
        raise ValueError("channels and latent dim must be positive, classes 0 or more")
    if classes > 0:
        return (ConditionalGenerator(shape, latent_dim, channels, classes),
                ConditionalDiscriminator(shape, d_channels or channels, classes, spectral))
    return Generator(shape, latent_dim, channels), Discriminator(shape, d_channels or channels, 0, spectral)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, help="directory for generator.pt and discriminator.pt")
    parser.add_argument("--shape", type=int, nargs=3, default=[1, 28, 28], metavar=("C", "H", "W"),
                        help="the data's image shape (square)")
    parser.add_argument("--classes", type=int, default=0, help="class-conditional on N classes (0: unconditional)")
    parser.add_argument("--latent-dim", type=int, default=128)
    parser.add_argument("--channels", type=int, default=64, help="channels next to the image (doubling inwards)")
    parser.add_argument("--d-channels", type=int, default=0, help="D's channels next to the image (0: as G's)")
    parser.add_argument("--d-norm", choices=["spectral", "none"], default="spectral",
                        help="D's layers spectrally normalised, or plain (then train with --train.r1_gamma)")
    parser.add_argument("--seed", type=int, default=1, help="initial weights")
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    try:
        generator, discriminator = build(args.shape, args.classes, args.latent_dim, args.channels,
                                         args.d_channels, args.d_norm == "spectral")
    except ValueError as bad:
        parser.exit(2, f"resnet_sngan.py: --shape/--channels: {bad}\n")
    os.makedirs(args.out, exist_ok=True)
    torch.jit.script(generator).save(os.path.join(args.out, "generator.pt"))
    torch.jit.script(discriminator).save(os.path.join(args.out, "discriminator.pt"))


if __name__ == "__main__":
    main()
