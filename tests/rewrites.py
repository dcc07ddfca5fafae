"""Generated rewrite pairs: one report told twice, at content-word-set Jaccard 0.45 to 0.55.

Each pair is an invented local event (people, a place, an organisation, numbers) told in
ten to twelve sentences; the rewrite keeps the facts and the order of the sentences, swaps
words for synonyms or other words, moves a time phrase, and shortens or pads a few
sentences, until the two content-word sets (the set the ``words`` MinHash signs) have a
Jaccard in [0.45, 0.55]. At that similarity LSH makes a pair a candidate in only about 95%
of cases, which is what the story-mate check is for.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from mediawatch.match.verify import features


def _w(text: str) -> list[str]:
    return text.split()


FIRST = _w(
    "Amara Bastian Celia Dario Elin Farid Greta Hamza Ines Jonas Kaia Lorenzo Maren Nikolai "
    "Odile Pavel Quentin Rosalind Soren Tamsin Ulrich Valeria Wendel Ximena Yusuf Zofia"
)
LAST = _w(
    "Achterberg Blackwood Castellanos Dunmore Eriksen Fairbanks Galloway Holloway Ibarra "
    "Jankowski Kettering Lindqvist Mortimer Nakamura Oyelaran Pemberton Quarrie Rasmussen "
    "Sandoval Thornbury Underhill Vasquez Whitlock Yardley Zeller"
)
PLACE_A = _w("Ash Bram Cold Dun Elder Fern Glen Hart Iron Kings Lark Mill North Oak Pen Raven")
PLACE_B = _w("brook ford haven mere moor port stead ton wick field gate holm ley well")
BODIES = (
    "Water Board",
    "Harbour Trust",
    "Rail Authority",
    "Health Council",
    "Schools Office",
    "Transport Agency",
    "Housing Association",
    "Energy Cooperative",
)
DAYS = _w("Monday Tuesday Wednesday Thursday Friday Saturday Sunday")

# The vocabulary frames draw from, by part of speech; a rewrite replaces a word with another
# of the same part (a rewriter's word choice), so the facts and the order stay.
NOUNS = """
accident account agency agreement airport allowance ambulance analysis anniversary apartment
appeal archive arena army arrest artist assembly asset athlete auction audience audit author
bakery balance ballot bandwidth bank barrier basin battery beach benefit bicycle biology
blanket border bottle boundary brewery bridge brigade broadcast budget building bulletin
cabinet cable camera campaign canal candidate capacity captain cargo carpet cathedral cattle
ceiling cemetery ceremony chamber champion channel chapel charity chemical chorus cinema
circuit citizen climate clinic coalition coast collar column comedy commerce company
compost concert concrete conflict congress consumer contract corridor cottage cotton county
courier crane credit cricket critic crossing crowd crystal culture curfew currency customer
dairy damage deadline debate defence delegate delivery density deposit desert designer
diesel diploma director disease dispute distance district doctor dolphin donation drainage
drought economy editor election elevator embassy emission engine estate evidence exhibit
expense factory famine farmer fashion feather ferry festival fiction finance firework
fishery flight flood forest fortress fountain freight fungus furnace gallery garage garden
garment generator glacier granite grocery guitar habitat hammer harbour harvest headline
helmet heritage highway hospital hostel household hurricane ignition immigrant income
industry infant inquiry insect insurance interview invoice island journal journey junction
justice kettle kitchen laboratory ladder landlord language laundry lawyer leather lecture
library license lighthouse limestone liquid livestock lobby locomotive lorry machine
magazine magnet mansion marathon margin marine market meadow medicine membership merchant
migrant militia mineral minister mirror missile monastery monitor mortgage motorway museum
narrative navy neighbour network nursery nutrient observer ocean office operator orchard
orchestra outbreak oxygen package painter palace pamphlet parade parcel parliament passenger
pasture patient pavement penalty pension pharmacy physician pilgrim pipeline planet plaster
plumber poetry police pollen pottery poverty prairie premium printer prison prophet protest
pudding pumpkin quarry railway rainfall reactor recipe referee refinery refugee regiment
reservoir resident retailer revenue ribbon rifle ritual rocket runway saddle salmon satellite
scandal scholar scientist sculpture senator sewage shelter sheriff shipment shoreline shrine
signal silver skeleton slogan soldier spectator sponsor stadium statue steel student subway
suburb summit supplier surgeon swimmer symphony tablet tariff tavern teacher telescope temple
tenant terminal textile theatre timber tobacco tourist tractor traffic trainer tribunal
trophy tunnel turbine umbrella uniform vaccine valley vehicle venue verdict vessel veteran
village vineyard violin volcano volunteer voyage wagon warehouse warrant weapon wetland
wheelchair widow wildlife windmill witness workshop wreck yacht
"""
VERBS = """
abandoned accepted accused acquired adjusted admitted adopted advised approved arranged
arrested assembled assessed attacked attended banned blocked boosted borrowed breached
broadened calculated cancelled captured celebrated challenged charged cleared collapsed
collected combined completed confirmed considered constructed contacted converted convicted
criticised crushed damaged declared declined defended delayed delivered demanded denied
deployed designed destroyed detected developed discovered dismissed displayed disrupted
doubled drafted earned educated elected eliminated embraced employed enabled endorsed
enforced expanded expelled explored exported extended flooded forecast funded gathered
granted guarded halted handled harvested hired hosted identified ignored imported improved
inspected installed insured invested invited isolated launched lowered maintained measured
monitored negotiated nominated objected obtained occupied opposed ordered organised
overturned painted paused permitted persuaded planted postponed praised predicted prepared
preserved prevented processed produced promoted proposed protected published purchased
questioned raised rebuilt received recorded recovered recruited reduced refused registered
rejected released relocated removed renewed repaired replaced reported rescued reserved
restored restricted resumed revealed reviewed rewarded sampled scheduled secured settled
shortened signed sold stabilised staffed stopped strengthened submitted supplied supported
suspended tested tightened tracked trained transferred treated upgraded visited warned
welcomed widened withdrew
"""
ADJECTIVES = """
abrupt absent active acute adequate advanced ancient annual anxious arctic automatic
bitter bold brief brilliant broken busy careful central cheap civic clumsy coastal
colourful complex confident constant costly crucial cruel curious damp decent deep
delicate dense digital distant domestic dramatic dusty eager eastern elderly electric
elegant emotional empty endless enormous entire equal essential ethnic exact excellent
exotic expensive extreme faint familiar famous fertile fierce final fiscal fragile frequent
frozen generous gentle genuine gigantic global golden gradual grateful grim handsome
harmful hasty healthy heavy hidden historic hollow honest hopeful hostile humble humid
identical illegal immense indoor informal initial intense internal invisible isolated
juvenile keen lateral lavish legal liberal literal lively local lonely loyal lucky
magnetic major marginal massive mature medical mental merciful mild military minor
mobile modest moist moral muddy mutual narrow native naval neutral noble normal northern
notable nuclear obvious official optional organic outdoor overseas painful partial
patient peculiar permanent personal physical plain pleasant polite popular portable
precise pregnant premature private probable prompt proper proud public punctual rapid
rare rational recent regional regular reliable remote rigid robust rough royal rural
sacred scarce secret secure senior severe shallow sharp silent simple sincere slender
smooth social solar solid southern spare special stable steady steep sterile sticky
strict sturdy subtle sudden suitable sunny superb swift tender thermal thick tidy
tiny toxic tragic tropical typical ugly unusual upper urban urgent vacant vague valid
vast verbal vital vivid vocal volatile wealthy weekly western wild wooden yearly young
"""
# Sentence frames over function words: N noun, V verb (past), A adjective; {p} {q} people,
# {pl} the place, {org} its body, {d} a weekday, {n1}..{n4} numbers.
FRAMES = [
    "The A N of {pl} V the A N and the N near the A N on {d}.",
    "{p} said the N had V the A N, the N and the A N of the N.",
    "About {n1} N were V after the A N V the N and the A N.",
    "{org} V a A N for the N, the A N and the N of the A N.",
    "Officials from the A N V that the N would cost {n3} million and V the N.",
    "The N V the A N while the N and the A N V the A N.",
    "{q}, a A N, V the N and the A N of the N in {pl}.",
    "A A N of the N V {n2} N and the A N of the N.",
    "The A N V by {n4} percent after the N V the A N and the N.",
    "Before the A N, the N of {pl} V the A N and the A N of the N.",
    "The N and the A N V the N, {p} told the A N on {d}.",
    "In {pl}, the A N V the N after the A N V the A N.",
    "The A N will V the N and the N once the A N V the N.",
    "{q} V the A N, the A N and the N of the N and the N.",
]
NUMBERS = ("n1", "n2", "n3", "n4")
WORDS = {
    "N": NOUNS.split(),
    "V": VERBS.split(),
    "A": ADJECTIVES.split(),
}
FILLERS = ("as well", "once again", "this time", "for now", "so far", "at last")


@dataclass(frozen=True)
class Pair:
    number: int
    original: str
    rewrite: str
    jaccard: float
    place: str
    person: str


def _facts(rng: random.Random, i: int) -> dict[str, str]:
    place = PLACE_A[i % len(PLACE_A)] + PLACE_B[(i // len(PLACE_A)) % len(PLACE_B)]
    return {
        "p": f"{rng.choice(FIRST)} {LAST[i % len(LAST)]}",
        "q": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
        "pl": place,
        "org": f"The {place} {rng.choice(BODIES)}",
        "d": rng.choice(DAYS),
        "n1": f"{rng.randint(12, 98) * 100:,}",
        "n2": str(rng.randint(3, 19)),
        "n3": f"{rng.randint(2, 40)}.{rng.randint(1, 9)}",
        "n4": str(rng.randint(11, 60)),
    }


def _fill(rng: random.Random, frame: str, facts: dict[str, str]) -> list[str]:
    """A sentence as tokens: slots (N, V, A) get words, braces the facts."""
    out = []
    for tok in frame.split(" "):  # one item per frame token: a fact may be several words
        core, tail = tok.rstrip(".,"), tok[len(tok.rstrip(".,")) :]
        out.append(rng.choice(WORDS[core]) + tail if core in WORDS else tok.format(**facts))
    return out


def _slots(frame: str) -> list[int]:
    return [k for k, tok in enumerate(frame.split(" ")) if tok.rstrip(".,") in WORDS]


def _rewrite_sentence(rng: random.Random, frame: str, toks: list[str], p: float) -> str:
    """Replace slot words with probability p by another word of their kind; names,
    numbers and the sentence order stay; sometimes a filler phrase is added."""
    kinds = frame.split(" ")
    out = list(toks)
    for k in _slots(frame):
        if rng.random() < p:
            tail = toks[k][len(toks[k].rstrip(".,")) :]
            out[k] = rng.choice(WORDS[kinds[k].rstrip(".,")]) + tail
    text = " ".join(out)
    if rng.random() < 0.3:
        text = text.rstrip(".") + " " + rng.choice(FILLERS) + "."
    return text


def content_jaccard(a: str, b: str) -> float:
    ca, cb = features(a).content, features(b).content
    return len(ca & cb) / max(1, len(ca | cb))


def make_pair(rng: random.Random, i: int, low: float = 0.45, high: float = 0.55) -> Pair:
    """One pair; the replacement rate is searched until the Jaccard lies in [low, high]."""
    facts = _facts(rng, i)
    frames = rng.sample(FRAMES, rng.randint(10, 12))
    frames.sort(key=FRAMES.index)  # one report's order
    sentences = [_fill(rng, f, facts) for f in frames]
    original = "\n".join(" ".join(s) for s in sentences)
    lo, hi = 0.0, 1.0
    for _ in range(60):
        p = (lo + hi) / 2
        rewrite = "\n".join(
            _rewrite_sentence(rng, f, s, p) for f, s in zip(frames, sentences, strict=True)
        )
        j = content_jaccard(original, rewrite)
        if low <= j <= high:
            return Pair(i, original, rewrite, j, facts["pl"], facts["p"])
        if j > high:
            lo = p
        else:
            hi = p
    raise AssertionError(f"pair {i}: no rewrite at Jaccard {low}..{high}")


def rewrite_pairs(n: int = 100, seed: int = 13) -> list[Pair]:
    rng = random.Random(seed)
    return [make_pair(rng, i) for i in range(n)]
