"""Custom Rasa components. They run inside Rasa's own environment (.venv-rasa), so they
import only Rasa, scikit-learn and NumPy, never the rest of `bot`."""
