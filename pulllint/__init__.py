"""pulllint: predicts every reason the kubelet would fail to pull an image, at the exact line."""

__version__ = "0.1.0"
