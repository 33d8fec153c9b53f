"""Bare personal names in de-identified text ("John Smith is behind on rent").

Patterns catch phone numbers and addresses; a name has no shape of its own, so this recognizer
reads capitalised words the way a careful reviewer does:

1. a **known given name followed by a capitalised word** ("Kwame Mensah", "Marie-Ève Bélanger",
   "Tanya Kakekayash", "Ahmed Al-Sayed"), or a given name with a particle ("Fatima bin Rashid");
2. a **run of two or more rare capitalised words** that are not words of English or French
   ("Aputi Kilabuk", "Siqiniq Nuvalinga"): most Indigenous and many other names are in no
   given-name list, but neither are they words;
3. a **given name alone with person context**: "Priya's mother", "la mère de Kevin",
   "Kevin (14)", "Cardinal, Mary".

Runs that are organisations, places or days are not names: anything next to a word such as
Society, Centre, Hospital, Nation, Services, Day, Bay or Street ("John Howard Society", "Grace
Hospital", "Victoria Day", "Sandy Hill", "Prince Albert"), or after Saint/St./Fort/Lake.

Data comes from two well-kept packages rather than a list we would have to maintain:
``gender-guesser`` ships Jörg Michael's dictionary of ~61,000 given names from 50+ countries, and
``wordfreq`` tells how common a word is in English and French (rare → likely a name). Both load
lazily, once per process (~0.5 s), so importing this module costs nothing.

The recognizer answers only *whether* a name is present; it never returns the matched text, so
callers cannot echo it.
"""

import re
import unicodedata
from functools import cache, lru_cache
from pathlib import Path


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_TOKEN = re.compile(r"[^\W\d_][\w'’-]*")
_ELISION = re.compile(r"^(?:[LlDdJjQqNnSsCcMmTt]|[Qq]u)['’](?=[^\W\d_])")
_POSSESSIVE = re.compile(r"['’]s?$")
_PARTICLES = _words(
    "de du des da di dos das van von der den la le ter ten bin ibn binti bint al el y dela del "
    "della delos ben abu ould"
)
# A word right before a run that makes it a place or an institution: "St. Joseph's".
_PLACE_PREFIX = _words("st ste saint sainte mt mount ft fort hôpital école centre")

# Words that make a capitalised run an organisation, a place, an event or a title, not a person.
_NOT_A_PERSON = _words(
    """
    society societies société societe centre center centres hospital hôpital hopital health
    house maison shelter
    refuge foyer home homes school schools école ecole collegiate secondary elementary public
    catholic university université college collège cegep cégep institute institut academy
    polyvalente secondaire primaire académie séminaire pensionnat externat
    reduction prevention recovery wellness outreach coalition alliance partnership initiative
    project strategy collective circle réduction prévention mieux-être
    foundation fondation clinic clinique program programme programs services service servicios
    agency agence association network réseau council conseil committee comité board commission
    court tribunal police sûreté surete ministry ministère department office bureau division
    authority autorité band nation nations first tribal treaty reserve réserve territory
    haitian haïtien haïtienne creole créole somali eritrean érythréen tigrinya amharic arabic
    arabe punjabi tamil tagalog filipino dari pashto farsi persian mandarin cantonese chinese
    vietnamese vietnamien ukrainian ukrainien spanish espagnol portuguese portugais french
    english anglais français inuktitut
    inuit métis metis indigenous autochtone autochtones aboriginal native anishinaabe
    anishinabek anishnawbe cree cris ojibwe ojibway oji-cree mohawk dene mi'kmaq innu atikamekw
    friendship family families child children youth jeunesse women femmes men hommes legal
    community communautaire communauté mental care soins aid aide support housing logement
    works mission church église eglise parish paroisse temple mosque synagogue manor lodge
    residence résidence villa pavillon hall arena library bibliothèque museum musée
    park parc hill hills valley bay lake lac river rivière creek falls heights island île point
    pointe beach harbour harbor mountain mont ridge square place plaza village town ville city
    township county comté region région district station market marché mall centre-ville inlet
    lookout sound canal bridge pont road street avenue drive boulevard crescent lane way rue
    chemin highway route
    day days jour week semaine month weekend night christmas noël easter pâques
    inc ltd corp company compagnie group groupe team équipe unit unité ward hub table
    line lines bus transit transpo metro métro airport aéroport
    north south east west nord sud est ouest upper lower new old grand great little big
    saint sainte st ste san santa mount fort port cape cap prince princess queen king sir lady
    lord
    """
)

# Capitalised words that open a sentence or a heading but never start a name.
_NEVER_A_GIVEN_NAME = _words(
    """
    january february march april may june july august september october november december
    janvier février fevrier mars avril mai juin juillet août aout septembre octobre novembre
    décembre decembre monday tuesday wednesday thursday friday saturday sunday lundi mardi
    mercredi jeudi vendredi samedi dimanche summer winter spring fall autumn été hiver
    printemps automne age will can les le la des une un femme homme justice royal vice
    chair chief elder judge crown victim client youth adult parent mother father baby
    the a an and or but for nor in on at to of by with from this that his her their our
    et ou mais pour par avec dans sur sous chez sa son ses leur nos
    """
)

# A given name alone is a person when a relation or an age follows it.
_RELATION_AFTER = (
    r"mother|father|mom|mum|dad|sister|brother|partner|boyfriend|girlfriend|husband|wife|"
    r"aunt|uncle|grandmother|grandfather|grandma|granny|kokum|kookum|son|daughter|children|"
    r"kids|baby|caregiver|guardian|landlord|teacher|worker|foster|family|ex|probation|file|"
    r"cousin|niece|nephew|stepfather|stepmother|stepdad|stepmom|grandson|granddaughter|"
    r"friend|roommate|neighbour|neighbor"
)
_RELATION_BEFORE = (
    r"mère|père|soeur|sœur|frère|conjoint|conjointe|copain|copine|fils|fille|enfants|tante|"
    r"oncle|grand-mère|grand-père|famille|enseignante?|intervenante?|propriétaire|cousine?|"
    r"nièce|neveu|ami|amie|colocataire|voisine?|beau-père|belle-mère"
)
# Kinship words right before a given name: "her uncle Harjit", "sa belle-mère Farida".
_KIN = (
    r"mother|father|mom|mum|dad|sister|brother|partner|boyfriend|girlfriend|husband|wife|aunt|"
    r"uncle|grandmother|grandfather|grandma|granny|kokum|kookum|son|daughter|cousin|niece|"
    r"nephew|stepfather|stepmother|stepdad|stepmom|stepson|stepdaughter|grandson|granddaughter|"
    r"mère|père|soeur|sœur|frère|conjoint|conjointe|copain|copine|fils|fille|tante|oncle|"
    r"grand-mère|grand-père|cousine|nièce|neveu|beau-père|belle-mère|demi-frère|demi-sœur"
)
_CAP_WORD = r"[^\W\d_a-zà-ÿ][\w'’-]+"
_GIVEN_IN_CONTEXT = [
    re.compile(rf"\b({_CAP_WORD})['’]s\s+(?:\w+\s+)?(?:{_RELATION_AFTER})\b"),
    re.compile(rf"\b(?:{_RELATION_BEFORE})\s+(?:de\s+|d['’])({_CAP_WORD})"),
    re.compile(rf"\b(?:{_KIN})\s+({_CAP_WORD})"),
    re.compile(
        rf"\b({_CAP_WORD})\s*(?:\(\d{{1,2}}\)|,\s*(?:aged?\s+)?\d{{1,2}}\s*(?:,|ans\b|yo\b))"
    ),
]

# wordfreq's Zipf scale: 3 is once per million words. "the" is 7.7, "smith" 4.9, "gagnon" 3.3,
# "kilabuk" 0. Names of people are rare words; very common words are rarely names.
_RARE_ZIPF = 3.2
_UNCOMMON_ZIPF = 4.0
_LOWERCASE_GIVEN_ZIPF = 4.6  # "ryan" 4.6, "amina" 3.0; "will" 6.5, "mark" 5.1, "rose" 4.6


_PLACES_FILE = Path(__file__).parent / "data" / "places.txt"


@cache
def _places() -> re.Pattern:
    """Multi-word places and brands that look like names ("Kitigan Zibi", "Tim Hortons")."""
    lines = _PLACES_FILE.read_text(encoding="utf-8").splitlines()
    phrases = sorted(
        {line.split("#", 1)[0].strip() for line in lines} - {""}, key=len, reverse=True
    )
    alternation = "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in phrases)
    return re.compile(rf"(?<![\w'’-])(?:{alternation})(?![\w-])", re.IGNORECASE)


@cache
def _given_names() -> frozenset[str]:
    from gender_guesser.detector import Detector

    names = {_fold(name) for name in Detector(case_sensitive=False).names if len(name) > 1}
    return frozenset(names - _NEVER_A_GIVEN_NAME)


def _fold(word: str) -> str:
    """Lower case without accents: "Éric" → "eric", "Nguyễn" → "nguyen"."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=16384)
def _zipf(word: str) -> float:
    from wordfreq import zipf_frequency

    word = word.lower()
    return max(
        zipf_frequency(word, "en", wordlist="small"), zipf_frequency(word, "fr", wordlist="small")
    )


def _is_rare(word: str) -> bool:
    return _zipf(word) < _RARE_ZIPF


def _is_uncommon(word: str) -> bool:
    return _zipf(word) < _UNCOMMON_ZIPF


def _is_given_name(word: str) -> bool:
    folded = _fold(word)
    names = _given_names()
    return folded in names or ("-" in folded and folded.split("-", 1)[0] in names)


def _bare(token: str) -> str:
    return _POSSESSIVE.sub("", _ELISION.sub("", token))


def _is_capitalised(word: str) -> bool:
    # "Smith", "McDonald", "O'Brien", "Bélanger"; not "OPP", "CMHA", "2SLGBTQ".
    return word[:1].isupper() and any(c.islower() for c in word[1:])


def _is_stop(word: str) -> bool:
    return word.lower() in _NOT_A_PERSON


def _runs(text: str):
    """Yield runs of capitalised words, split into segments at name particles.

    A run ends at punctuation or a lowercase word; "Patrice Girard de la Maison du Père" gives
    the segments [Patrice, Girard] and [Maison], [Père]. Runs right after "St." or "Hôpital" are
    places and are skipped.
    """
    run: list[list[str]] = []
    before = ""
    previous_end, previous_word, possessive = 0, "", False
    for match in _TOKEN.finditer(text):
        token = match.group()
        word = _bare(token)
        gap = text[previous_end : match.start()]
        joined = bool(run) and gap.isspace() and "\n" not in gap and not possessive
        if _is_capitalised(word):
            if not joined:
                if run:
                    yield before, run
                run = [] if _adjacent(gap) and previous_word in _PLACE_PREFIX else [[]]
                before = previous_word
            if run:
                run[-1].append(word)
        elif joined and word in _PARTICLES and run:
            if run[-1]:
                run.append([])
        else:
            if run:
                yield before, run
            run = []
        # "Jordan's Principle": what follows a possessive is the thing owned, not a surname.
        possessive = token != word and bool(_POSSESSIVE.search(token))
        previous_end, previous_word = match.end(), word.lower()
    if run:
        yield before, run


def _adjacent(gap: str) -> bool:
    return gap in (" ", ". ", "-")


def _is_compound_given(word: str) -> bool:
    """ "Pierre-Louis", "Jean-Marc": every part a given name (often a surname too)."""
    parts = _fold(word).split("-")
    return len(parts) > 1 and all(part in _given_names() for part in parts)


def _pair_is_person(first: str, second: str, *, place: bool = False) -> bool:
    """Two capitalised words in a row. After "in"/"from"/"à" (``place``) only a known given name
    followed by a rare word counts ("in Forest Lawn" is a place; "from Aputi Kilabuk" a person).
    """
    if (
        _is_given_name(first)
        and _fold(second) not in _NEVER_A_GIVEN_NAME
        and (not place or _is_rare(second))
    ):
        return True
    if place:
        return False
    if _is_compound_given(second) and _is_uncommon(first):
        return True
    return (_is_rare(first) and _is_uncommon(second)) or (_is_uncommon(first) and _is_rare(second))


# Surnames that are also place words: only after a hyphenated given name ("Ji-hoon Park").
_SURNAME_PLACE_WORDS = frozenset({"park", "hall", "king", "hill"})


# Before a run, these make it a place ("from Pelican Narrows", "à Rouyn-Noranda"): there only a
# known given name makes it a person.
_LOCATIVE = _words(
    "in from at near to of into towards toward around outside across via de à au aux du vers "
    "près dans en sur"
)


def _run_is_person(before: str, run: list[list[str]]) -> bool:
    place = before in _LOCATIVE
    segments = [segment for segment in run if segment]
    clean = [not any(_is_stop(w) for w in segment) for segment in segments]
    for i, segment in enumerate(segments):
        if (
            len(segment) == 2
            and "-" in segment[0]
            and _is_given_name(segment[0])
            and segment[1].lower() in _SURNAME_PLACE_WORDS
        ):
            return True
        if not clean[i]:
            continue
        pairs = list(zip(segment, segment[1:], strict=False))
        if any(_pair_is_person(a, b, place=place) for a, b in pairs):
            return True
        # Across a particle only a known given name counts: "Fatima bin Rashid",
        # "Mathieu de la Durantaye" — not "Walmart de Rouyn-Noranda".
        if (
            i + 1 < len(segments)
            and clean[i + 1]
            and _is_given_name(segment[-1])
            and _fold(segments[i + 1][0]) not in _NEVER_A_GIVEN_NAME
        ):
            return True
    return False


_CAP = r"[^\W\d_a-zà-ÿ][\w'’-]+"
_SHOUTED = re.compile(r"\b([^\W\d_a-z]{4,})\s+([^\W\d_a-z][^\W\d_a-z'’-]{1,})\b")
_LOWER = re.compile(r"(?<![\w'’-])([a-zà-ÿ]{3,})\s+([a-zà-ÿ][a-zà-ÿ'’-]{2,})\b")
_SURNAME_FIRST = re.compile(
    rf"(?:^|(:)\s*|(?<![\w'’-]))({_CAP}),\s+({_CAP})"
    r"(?=\s*[,;:.()]|\s+[-–—]|\s+(?:as|is|was|comme|est)\b)",
    re.MULTILINE,
)
_FAMILY = re.compile(
    rf"\b(?:the|The)\s+({_CAP})\s+(?:family|household|children|kids|home)\b|"
    rf"\b(?:la|La)\s+famille\s+({_CAP})"
)


_SAINT_SURNAME = re.compile(rf"\b({_CAP})\s+(?:St|Ste|Saint|Sainte)\.?[\s-]+({_CAP})")


def _saint_surname(text: str) -> bool:
    """ "Trevor St. Germain", "Audrey Saint Onge": a given name, then a saint's-name surname."""
    return any(
        _is_capitalised(given)
        and _is_given_name(given)
        and _is_capitalised(rest)
        and not _is_stop(rest)
        for given, rest in _SAINT_SURNAME.findall(text)
    )


def _shouted_name(text: str) -> bool:
    """ "DEREK HOLLOWAY": an all-capitals given name and a word after it."""
    return any(
        _is_given_name(first) and not _is_stop(second) for first, second in _SHOUTED.findall(text)
    )


def _lowercase_name(text: str) -> bool:
    """ "ryan meekis": a given name that is not an everyday word, then a rare word."""
    return any(
        _is_given_name(first)
        and _zipf(first) < _LOWERCASE_GIVEN_ZIPF
        and _is_rare(second)
        and not _is_stop(second)
        for first, second in _LOWER.findall(text)
    )


def _surname_first(text: str) -> bool:
    """ "Haddad, Yasmin as the adult", "Côté, Nathalie, 40 à 49 ans": surname, comma, given name.

    An everyday word as the surname ("Côté") counts only where a reference line starts.
    """
    for match in _SURNAME_FIRST.finditer(text):
        surname, given = match.group(2), match.group(3)
        if _is_stop(surname) or _is_stop(given):
            continue
        if not (_is_capitalised(surname) and _is_capitalised(given)):  # "CMHA, OPP"
            continue
        at_start = match.start(2) == 0 or match.group(1) is not None
        surname_ok = _is_uncommon(surname) or at_start
        given_ok = _is_given_name(given) or (at_start and _is_rare(given) and _is_rare(surname))
        if surname_ok and given_ok:
            return True
    return False


def _family_name(text: str) -> bool:
    """ "the Tootoo family", "la famille Gagnon"."""
    for match in _FAMILY.finditer(text):
        word = match.group(1) or match.group(2)
        if not _is_stop(word) and _is_uncommon(word):
            return True
    return False


def _given_in_context(text: str) -> bool:
    """ "Aputi's grandmother", "la mère de Kevin", "Kevin (14)"."""
    for pattern in _GIVEN_IN_CONTEXT:
        for match in pattern.finditer(text):
            word = _bare(match.group(1))
            if not _is_stop(word) and (_is_given_name(word) or _is_rare(word)):
                return True
    return False


def contains_name(text: str) -> bool:
    """True when ``text`` seems to name a person."""
    if not text:
        return False
    text = _places().sub("place", text)
    return (
        any(_run_is_person(before, run) for before, run in _runs(text))
        or _saint_surname(text)
        or _given_in_context(text)
        or _surname_first(text)
        or _family_name(text)
        or _shouted_name(text)
        or _lowercase_name(text)
    )
