"""The model: Kubernetes objects as plain data with positions; no YAML nodes survive past loading."""
