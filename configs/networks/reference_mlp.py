"""The seed design's reference GAN written in PyTorch, for gan_dist --model.arch=torchscript.

G 100-256-256-784 (ReLU, tanh out), D 784-256-256-1 (ReLU; the sigmoid lives in gan_dist's loss),
the same networks as --model.arch=mlp, with the same parameter names (fc1, fc2, fc3). With
--classes N both are class-conditional: G reads a learned class embedding beside z, D adds a
projection term (as gan_dist's own conditional networks).

    python3 configs/networks/reference_mlp.py --out scripted_networks
    build/gan_dist --config configs/fashion_mnist_scripted_mlp.ini

writes scripted_networks/generator.pt and discriminator.pt (torch.jit.script(...).save) and
scripted_networks/initial_weights.pt, the same weights as a state dict (--model.init_from), so a
built-in run can start where the scripted one does.
"""
import argparse
import math
import os
from typing import List

import torch
from torch import nn


class Generator(nn.Module):
    """z [N, latent_dim] -> images [N, C, H, W] in [-1, 1]."""

    def __init__(self, latent_dim: int = 100, hidden: int = 256, image_shape=(1, 28, 28)):
        super().__init__()
        self.latent_dim = latent_dim  # gan_dist checks it against --model.latent_dim
        self.classes = 0
        self.image_shape: List[int] = list(image_shape)
        self.fc1 = nn.Linear(latent_dim, hidden)
        self.fc2 = nn.Linear(hidden, hidden)
        self.fc3 = nn.Linear(hidden, math.prod(image_shape))

    def forward(self, z):
        return self.body(z)

    def body(self, x):
        h = torch.relu(self.fc1(x))
        h = torch.relu(self.fc2(h))
        return torch.tanh(self.fc3(h)).view([x.size(0)] + self.image_shape)


class Discriminator(nn.Module):
    """images [N, C, H, W] -> logits [N, 1]."""

    def __init__(self, hidden: int = 256, image_shape=(1, 28, 28)):
        super().__init__()
        self.classes = 0
        self.fc1 = nn.Linear(math.prod(image_shape), hidden)
        self.fc2 = nn.Linear(hidden, hidden)
        self.fc3 = nn.Linear(hidden, 1)

    def forward(self, x):
        h = torch.relu(self.fc1(x.flatten(1)))
        h = torch.relu(self.fc2(h))
        return self.fc3(h)


class ConditionalGenerator(Generator):
    """G(z, labels): a class embedding as wide as z, at z's scale, beside it."""

    def __init__(self, classes: int, latent_dim: int = 100, hidden: int = 256, image_shape=(1, 28, 28)):
        super().__init__(latent_dim, hidden, image_shape)
        self.classes = classes
        self.fc1 = nn.Linear(2 * latent_dim, hidden)
        self.class_embedding = nn.Embedding(classes, latent_dim)

    def forward(self, z, labels):
        e = self.class_embedding(labels)
        e = e * torch.rsqrt(e.square().mean(1, keepdim=True) + 1e-8)
        return self.body(torch.cat([z, e], 1))


class ConditionalDiscriminator(Discriminator):
    """D(x, labels): D's logit plus the projection <e_y, features> / sqrt(features)."""

    def __init__(self, classes: int, hidden: int = 256, image_shape=(1, 28, 28)):
        super().__init__(hidden, image_shape)
        self.classes = classes
        self.class_projection = nn.Embedding(classes, hidden)
        nn.init.normal_(self.class_projection.weight)
        self.scale = 1.0 / math.sqrt(hidden)

    def forward(self, x, labels):
        h = torch.relu(self.fc1(x.flatten(1)))
        h = torch.relu(self.fc2(h))
        projection = (self.class_projection(labels) * h).sum(1, keepdim=True) * self.scale
        return self.fc3(h) + projection


def build(classes: int = 0, latent_dim: int = 100, hidden: int = 256, image_shape=(1, 28, 28)):
    if classes > 0:
        return (ConditionalGenerator(classes, latent_dim, hidden, image_shape),
                ConditionalDiscriminator(classes, hidden, image_shape))
    return Generator(latent_dim, hidden, image_shape), Discriminator(hidden, image_shape)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default="scripted_networks", help="directory for generator.pt, discriminator.pt")
    parser.add_argument("--classes", type=int, default=0, help="class-conditional on N classes (0: unconditional)")
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    generator, discriminator = build(args.classes, hidden=args.hidden)
    os.makedirs(args.out, exist_ok=True)
    torch.jit.script(generator).save(os.path.join(args.out, "generator.pt"))
    torch.jit.script(discriminator).save(os.path.join(args.out, "discriminator.pt"))
    torch.save({"generator": generator.state_dict(), "discriminator": discriminator.state_dict()},
               os.path.join(args.out, "initial_weights.pt"))


if __name__ == "__main__":
    main()
