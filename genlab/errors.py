"""Errors a user can cause; the CLI prints them without a traceback and exits 2."""


class GenlabError(Exception):
    """Base class: the message names the problem."""


class ConfigError(GenlabError):
    """Unknown family, preset, option or a bad option value."""


class DatasetError(GenlabError):
    """Unknown data set, unreadable archive, non-image or hostile file."""


class TooManyImages(DatasetError):
    """A folder or archive with more images than the caller allows (found before decoding)."""

    def __init__(self, where: str, limit: int) -> None:
        super().__init__(f"{where} holds more than {limit} images; the limit is {limit}")
        self.limit = limit


class CheckpointError(GenlabError):
    """Corrupt, foreign or pickle checkpoint, or shapes that do not match."""


class RecipeError(GenlabError):
    """A generation recipe that does not fit its checkpoint (label, sampler, count)."""


class TrainingDiverged(GenlabError):
    """A loss became NaN/inf or exploded; the last good checkpoint is kept."""
