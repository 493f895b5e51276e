"""The local overlay: claims, role sessions, pending launches and Pod status."""
