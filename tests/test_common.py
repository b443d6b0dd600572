"""scikit-learn's common checks for every sksynth estimator, with tiny fast settings."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sksynth import GANSynthesizer, SyntheticOverSampler, VAESynthesizer
from sksynth.utils.estimator_checks import expected_failed_checks

TINY = dict(epochs=2, batch_size=64, random_state=0)


ESTIMATORS = [
    VAESynthesizer(latent_dim=4, encoder_sizes=(16,), decoder_sizes=(16,), **TINY),
    VAESynthesizer(
        latent_dim=4, encoder_sizes=(16,), decoder_sizes=(16,), latent_mixture=2, **TINY
    ),
    VAESynthesizer(
        latent_dim=4, encoder_sizes=(16,), decoder_sizes=(16,), autoregressive=True, **TINY
    ),
    GANSynthesizer(noise_dim=8, generator_sizes=(16,), discriminator_sizes=(16,), pac=2, **TINY),
    # a sampler: imbalanced-learn's checks are in test_oversampler.py
    SyntheticOverSampler(
        VAESynthesizer(latent_dim=4, encoder_sizes=(16,), decoder_sizes=(16,), **TINY),
        random_state=0,
    ),
]


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks)
def test_sklearn_compatible(estimator, check):
    check(estimator)
