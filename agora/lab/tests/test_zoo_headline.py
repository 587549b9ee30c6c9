"""A zoo model page's first line of quality: conditional accuracy beside what real images score."""

from django.utils import translation

from agora.lab.zoo_cards import headline_metrics

EMOJI_LIKE = {
    "classifier_fd": 3.2,
    "real_fd_floor": 1.1,
    "class_accuracy": 0.62,
    "classifier_val_accuracy": 0.70,
}


def test_class_accuracy_is_shown_beside_the_classifiers_accuracy_on_real_images() -> None:
    """On emoji the classifier itself gets about 70 % of real images right: a model's 62 % reads
    against that, not against 100 %."""
    with translation.override("en"):
        text = headline_metrics(EMOJI_LIKE)
        assert (
            "62 % of samples classified as the class asked for (real held-out images: 70 %)" in text
        )
        assert "real held-out" not in headline_metrics({"class_accuracy": 0.9})
    with translation.override("zh-hans"):
        assert "（留出的真实图像：70 %）" in headline_metrics(EMOJI_LIKE)
