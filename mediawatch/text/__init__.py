"""Text analysis for every stage, in every language a desk reads.

One place for what the pipeline knows about text, used by fingerprints, verification,
story features, search, diff and explain:

- ``normalise``: NFKC, case folding, quotes, digits of every script to ASCII, Arabic
  letter variants and vowel marks (``normalise.py``);
- ``language``: which language an article is in, with a confidence; a declared
  language is a hint, not the truth (``language.py``);
- ``tokens``: words by script: letters with their combining marks, a dictionary
  segmenter for Chinese, ICU word breaks for Japanese, Thai, Lao, Khmer and Myanmar
  (``segment.py``); ``word_count``: an article's words by the same segmentation;
- ``stem``, ``stopwords``, ``content_words``: per language (Snowball, stopwords-iso)
  (``lexicon.py``);
- ``sentences``: sentence ends of every script (``sentences.py``);
- ``names``: names with and without letter case, transliterated so that Путин and
  Putin meet (``names.py``);
- ``places``: countries and major cities by their English names in every language,
  from CLDR (Babel), so Türkei, 土耳其 and Turkey meet (``places.py``);
- ``dates``: numbers, years and dates, month names in the languages handled; prices
  (``dates.py``);
- ``frequency``: how common a word is in its language at large (wordfreq's lists, 40+
  languages), so that "trade" or "company" is not taken for an event's own word where
  an archive is young (``frequency.py``);
- ``notices``: cookie and consent notices, page furniture in any language that
  neither verification nor stories count as content (``notices.py``).

Everything here is a pure function of its input, with no model fetched at run time:
the segmenters, stemmers, stopword lists and the language identifier ship inside
their wheels.
"""

from mediawatch.text.language import Language, detect_language
from mediawatch.text.lexicon import content_words, stem, stopwords
from mediawatch.text.normalise import normalise
from mediawatch.text.segment import script_of, tokens, word_count
from mediawatch.text.sentences import sentences

__all__ = [
    "Language",
    "content_words",
    "detect_language",
    "normalise",
    "script_of",
    "sentences",
    "stem",
    "stopwords",
    "tokens",
    "word_count",
]
