"""Article text and metadata from one HTML page: trafilatura plus newsdesk's own cleanup."""

from __future__ import annotations

import codecs
import gzip
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import trafilatura
from lxml import etree  # type: ignore[import-untyped]
from trafilatura.settings import set_date_params
from trafilatura.utils import decode_file

# Chosen by body F1 on 338 real pages with ground truth (bench/extract_eval.py --sweep; bag-of-
# words F1, fundus-pages / fundus-eval, all with this module's cleanup on top):
#   balanced, fallback on, no tables   0.958 / 0.962   <- chosen
#   same with tables                   0.958 / 0.956   (tables are rarely article text)
#   favor_precision                    0.953 / 0.953   favor_recall  0.955 / 0.951
#   fast (no readability/justext)      0.947 / 0.951   about 1.4x faster, not worth 0.011
# Comments are never article text here; metadata costs about a quarter of the time but gives
# title, author, date and site name in the same parse.
TRAFILATURA_OPTIONS: dict[str, Any] = {
    "include_comments": False,
    "include_tables": False,
    "fast": False,
    "favor_precision": False,
    "favor_recall": False,
}
# htmldate keeps the time and zone when the page gives them; a bare date comes out as midnight.
DATE_FORMAT = "%Y-%m-%dT%H:%M:%S%z"
# Below this much cleaned body a page is not an article worth storing (words: split on spaces
# and punctuation, so CJK sentences count too while a run of mojibake does not).
MIN_TEXT_CHARS = 100
MIN_TEXT_WORDS = 8
# Language is only guessed from at least this much text, and only when py3langid is this sure.
MIN_LANGUAGE_CHARS = 20
MIN_LANGUAGE_CONFIDENCE = 0.5
LANGUAGE_SAMPLE_CHARS = 2000


@dataclass(frozen=True, slots=True, kw_only=True)
class Extracted:
    """What one page yielded: cleaned body text plus the metadata found on the page."""

    title: str | None
    author: str | None
    published_at: datetime | None
    language: str | None
    sitename: str | None
    text: str


# ---------------------------------------------------------------- decoding

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_META_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_:.\-]+)""", re.I)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
# WHATWG: these labels mean windows-1252 in browsers, and pages are written for browsers.
_LATIN1_LABELS = {"iso8859-1", "latin-1", "ascii", "us-ascii", "iso-8859-1", "latin1"}
# Cyrillic or Greek bytes read as windows-1252 come out as runs of À-ÿ; real Western text has a
# few accents among plain letters. Above this share of letters the declared charset is a lie.
_MAX_LATIN1_ACCENT_SHARE = 0.2


def _declared_charset(head: bytes) -> str | None:
    match = _META_CHARSET.search(head)
    if match is None:
        return None
    try:
        name = codecs.lookup(match.group(1).decode("ascii")).name
    except (LookupError, UnicodeDecodeError):
        return None
    if name in _LATIN1_LABELS:
        return "cp1252"
    # A UTF-16 label read through ASCII-compatible bytes is a lie by construction; UTF-7 is
    # banned from HTML because it smuggles markup.
    return None if name.startswith(("utf-16", "utf-32", "utf-7")) else name


def _looks_misdeclared(text: str, encoding: str) -> bool:
    """Text decoded with a Western single-byte charset that is really another script."""
    if encoding not in {"cp1252", "iso8859-15", "latin-1"}:
        return False
    letters = sum(ch.isalpha() for ch in text)
    accents = sum("\u00c0" <= ch <= "\u00ff" for ch in text)
    return letters > 0 and accents / letters > _MAX_LATIN1_ACCENT_SHARE


_UTF16_MARKUP = (
    ("utf-16-le", b"<\x00", b" \x00\t\x00\r\x00\n\x00"),
    ("utf-16-be", b"\x00<", b"\x00 \x00\t\x00\r\x00\n"),
)


def _sniff_utf16(head: bytes) -> str | None:
    """UTF-16 without a BOM: markup starts with "<" as a UTF-16 code unit, and is mostly ASCII.

    The first non-blank code unit decides (a page in Cyrillic or Greek has few NUL bytes in its
    text, but its first "<" is still "<\\0" or "\\0<"); the NUL share is the fallback for pages
    that begin with text.
    """
    sample = head[:512]
    if len(sample) < 8:
        return None
    for encoding, lt, blanks in _UTF16_MARKUP:
        units = {blanks[i : i + 2] for i in range(0, len(blanks), 2)}
        i = 0
        while i + 2 <= len(sample) and sample[i : i + 2] in units:
            i += 2
        if sample[i : i + 2] == lt:
            return encoding
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    half = len(sample) // 2
    if odd > 0.6 * half and even < 0.1 * half:
        return "utf-16-le"
    if even > 0.6 * half and odd < 0.1 * half:
        return "utf-16-be"
    return None


def decode_html(data: bytes) -> str:
    """Bytes to text: BOM, then UTF-16 sniffing, valid UTF-8, the meta charset, a guess."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding, errors="replace")
    head = data[:4096]
    utf16 = _sniff_utf16(head)
    if utf16 is not None:
        return data.decode(utf16, errors="replace")
    try:
        # Valid UTF-8 with non-ASCII bytes is UTF-8 whatever the page declares.
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    declared = _declared_charset(head)
    if declared is not None:
        try:
            text = data.decode(declared)
        except (UnicodeDecodeError, LookupError):
            pass
        else:
            if not _looks_misdeclared(text, declared):
                return text
    # trafilatura's guesser: charset detection, then UTF-8 with replacement characters.
    guessed: str = decode_file(data)
    return guessed


def read_html_file(path: Path) -> bytes:
    """Raw bytes of a saved page, gunzipped when the name ends in .gz."""
    data = path.read_bytes()
    return gzip.decompress(data) if path.suffix == ".gz" else data


# ---------------------------------------------------------------- cleanup

_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"\w+")
# Separators sites put between a headline and their name, section or a date.
_TITLE_SEPARATOR = re.compile(r"\s+(?:[|–—•·»*]|::|-{1,2})\s+|:\s+|\s+\||\s*[：｜]\s*")


def _key(text: str) -> str:
    """Comparison key: casefolded words only, so punctuation and quotes do not matter."""
    return " ".join(_WORD.findall(text.casefold()))


def _alternation(patterns: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns), re.IGNORECASE)


# The buttons a reaction widget lists under its "What's Your Reaction?" header.
_REACTION_WORDS = frozenset(
    {"like", "dislike", "love", "funny", "angry", "sad", "wow", "haha", "lol", "wtf", "cry"}
    | {"happy", "shocked", "surprised", "confused", "upvote", "downvote"}
)
_AGENCIES = (
    r"getty( images)?|afp|reuters|ap( photo)?|dpa|epa(-efe)?|efe|shutterstock|wireimage|"
    r"filmmagic|pa( wire| images)?|imago( images)?|picture[ -]alliance|anadolu( agency)?|xinhua|"
    r"tass|ria novosti|sipa( usa| press)?|alamy|istock(photo)?|keystone|ansa|aa|bloomberg|"
    r"nurphoto|abaca|zuma( press)?|action images|sportsfile|via getty( images)?"
)
_TEASER_HEADERS = (
    r"read more|also read|read also|read next|see also|more on this( story| topic)?|"
    r"related( articles| stories| coverage| content| topics| news| reading)?|"
    r"recommended( for you| videos| stories| reading)?|"
    r"you (may|might) also (like|be interested in)|"
    r"most (read|popular|viewed|shared)( in [\w ]{1,30})?|popular( now)?|trending( now)?|"
    r"top stories|further reading|more stories|editor'?s picks|"
    # de
    r"lesen sie auch|lesen sie mehr|mehr zum thema|auch interessant|"
    r"das könnte sie auch interessieren|"
    r"ähnliche( artikel| beiträge| themen)?|weitere artikel|meistgelesen|"
    # fr, es, it, pt, pl, nordic
    r"(à )?lire aussi|voir aussi|sur le même sujet|noticias? relacionadas?|lee también|"
    r"leggi anche|leia também|czytaj (więcej|też|także)|les også|läs också|læs også|"
    # uk, ru, tr
    r"читайте також|дивіться також|читайте также|смотрите также|по темі|по теме|"
    r"ilgili haberler|benzer haberler|ayrıca (okuyun|bakınız)|bunu da okuyun|"
    # zh, ja, ko
    r"相关新闻|相关阅读|关联阅读|おすすめ情報|関連記事|関連キーワード|관련기사"
)
# A short line matching one of these in full is boilerplate, never an article sentence.
_FULL_LINE = _alternation(
    [
        # reaction widgets and polls
        r"what'?s your reaction\??",
        r"(how do you feel about|what do you think (of|about)) this (story|article|post)\??",
        r"(wie hat ihnen dieser artikel gefallen|war dieser artikel hilfreich)\??",
        # share / follow / subscribe / app prompts
        r"(share|tweet|e-?mail|print|save) (this|the) (article|story|post|page)"
        r"( on [\w ]{1,20}| via \w+)?[.!:]?",
        r"share( on| via)?( (facebook|twitter|x|whatsapp|linkedin|telegram|e-?mail|reddit))+",
        r"(share|teilen|partager|compartir|condividi|paylaş|поділитися|поделиться)[.:!]?",
        r"(like|enjoy(ed)?|love) this (story|article|post)\?.{0,80}",
        r"(subscribe|sign up|register) (to|for) (our|the) [\w'’ -]{0,40}"
        r"(newsletter|briefing|digest|emails?|alerts?)s?\b.{0,100}",
        r"(get|receive) (our|the) [\w'’ -]{0,40}newsletter.{0,100}",
        r"subscribe( now| today)?[.!]?|jetzt abonnieren[.!]?|abonnez-vous[.!]?|suscr[ií]bete[.!]?",
        r"sign up( now| today)? (for|to) (our|the latest|breaking|free|daily|weekly|news).{0,120}",
        r"get (the )?(daily|weekly|breaking|latest) [\w ]{0,30}(news|headlines|updates)"
        r"( in your inbox)?\.?",
        r"click here\b.{0,150}",
        r"(download|get|install) (the|our) [\w'’ -]{0,30}app\b.{0,100}",
        r"follow (us|\w+( \w+){0,3}) on (facebook|twitter|x|instagram|telegram|google news|"
        r"tiktok|youtube|linkedin|whatsapp|threads|bluesky)\b.{0,120}",
        r"join (us|our [\w ]{0,20}channel) on (telegram|whatsapp|facebook).{0,80}",
        r"(folgen sie uns|folgst du (schon )?[\w ]{1,30} auf \w+)\b.{0,100}",
        r"(suivez-nous|bizi takip edin|abone ol|підписуйтесь|подписывайтесь)\b.{0,100}",
        # teaser and related-story blocks
        rf"({_TEASER_HEADERS})\s*[:.…>»›|-]*",
        rf"({_TEASER_HEADERS}|more)\s*[:>»›|]\s*.{{1,200}}",
        r"(à )?lire aussi\s+.{1,200}",
        # photo, video and agency credits
        r"(photos?|images?|pictures?|videos?|graphics?|illustrations?|credits?|fotos?|bild(er)?|"
        r"фото|відео|видео|fotoğraf|imagen|crédits?)( credit)?\s*[:/©|]\s*.{1,160}",
        # "STR/AFP via Getty Images", "HENRY NICHOLLS / AFP/Getty": a slash marks a credit
        rf"\(?[\w .,'’&-]{{0,60}}/( ?[\w .,'’&-]{{1,60}}/){{0,4}} ?"
        rf"({_AGENCIES}|[\w .,'’&-]{{0,60}}\bvia ({_AGENCIES}))\)?",
        rf"\(?({_AGENCIES})( photo)?( via [\w ]{{1,30}})?\)?[ .]*",
        rf".{{0,160}}\((photo: )?[\w .,'’/-]{{0,60}}({_AGENCIES})[^)]{{0,60}}\)",
        r"\(?(quelle|source|sources|fuente|kilde|källa|źródło|источник|джерело|kaynak)\s*:"
        r"\s*.{1,60}",
        r"\([\w/ ,.&-]{1,24}\)",
        # copyright, trust and standards footers
        r"<?\s*(©|ⓒ|\(c\)\s*(\d{4}|copyright)|copyright\s*(©|ⓒ|\(c\)|:|\d{4}|@)).{0,200}",
        r"(our standards:? )?the thomson reuters trust principles\.?",
        r".{0,60}\btrust principles\.?",
        # ads, paywalls, consent and comment prompts
        r"(advertisement|advertising|sponsored( content)?|ad|anzeige|werbung|publicité|"
        r"publicidad|pubblicità|реклама|reklam|passer la publicité)[.:]?",
        r"(story|article) continues below( this)?( advertisement| ad)?\.?",
        r"(scroll (down )?to (continue|read more)|continue reading( below)?)\W{0,4}",
        r"article content|recommended videos|embed|loading\W{0,4}|please wait\W{0,4}",
        r"(\d+ )?comments?|show comments|view comments|leave a comment|add a comment|"
        r"kommentar(e| abgeben| schreiben)?|评论|关注|分享.{0,10}|댓글|コメント",
        r"(join|read) (our|the) (commenting|comment) (forum|policy|section|guidelines).{0,120}",
        r"join thought-provoking conversations.{0,120}",
        r"(would you like|want) to comment.{0,80}|.{0,80}before commenting\.?",
        r"(you must|please) (log ?in|sign ?in|register|confirm).{0,40}"
        r"(comment|display name).{0,80}",
        r".{0,60}um einen kommentar abzugeben\.?",
        r"(spotted|spot|found|report) (a |an )?(typo|error|mistake).{0,80}",
        r"fehler gefunden\?.{0,40}",
        r"(this is a )?(breaking|developing) (news )?story.{0,60}",
        r"(got a story|do you have a story|have a (news )?tip)\b.{0,200}",
        r".{0,40}get in touch with (our|the) [\w ]{0,30}team.{0,200}",
        r"for more (stories|news|articles) like this.{0,80}",
        r"(\d+\s*(min|mins|minutes?|minuten|мин\w*|хв\w*|dk|dakika)\.?\s*"
        r"(read|lesezeit|lesedauer|de lecture|чтения|читання|okuma)|"
        r"(lesedauer|reading time|read time|temps de lecture|время чтения|час читання|okuma süresi)"
        r"\s*:?\s*\d+\s*\w*)",
    ]
)
# Phrases that mark a whole (short) line as boilerplate wherever they occur in it.
_CONTAINS = _alternation(
    [
        r"\ball rights reserved\b",
        r"\bsign up for (our|the) [\w'’ -]{0,40}(newsletter|emails?)",
        r"\b(subscribe|sign up) to (our|the) [\w'’ -]{0,40}newsletter",
        r"\bin your inbox\b",
        r"\bbookmark (this article|your favou?rite)|\bplease bookmark\b",
        r"\baffiliate (commission|links?)\b|\bearn (us )?(an? )?(small )?(affiliate )?commission\b",
        r"\bprivacy (settings|preferences)\b|\bprivatsphäre-einstellungen\b|"
        r"\bcookie (settings|preferences|policy)\b",
        r"\bexterne[rn]? inhalte?\b",
        r"\b(réservée? aux abonnés|for subscribers only|only available to subscribers|"
        r"nur für abonnenten|s[oó]lo para suscriptores)\b",
        r"\b(we|this site|this website) uses? cookies\b",
        r"会員限定|有料会員",
    ]
)
_TWEET_SIGNATURE = re.compile(r"[—–-]\s*.{1,80}\(@\w{1,30}\)\s+\w+\.? \d{1,2},? \d{4}")
_NAME = r"[A-ZÀ-ÖØ-ÞА-ЯЁЇІЄҐ][\w'’.-]*"
_NAMES = rf"{_NAME}(( (van|von|de|da|del|der|den|la|le|bin|al|el|di|du))? {_NAME}){{0,3}}"
# "By Jane Doe", "Von Anna Sleegers, Frankfurt": names only, each capitalised.
_BYLINE = re.compile(
    rf"(?i:by|von|par|por|di|door|av|af|от|від)\s+{_NAMES}"
    rf"((,|,? (?i:and|und|et|y|и|і|&)) {_NAMES}){{0,4}}"
)
_AUTHOR_BIO = re.compile(
    r"[A-Z][\w'’-]+( [A-Z][\w.'’-]+){1,3} (is|was) (an?|the) ([\w-]+ ){0,5}"
    r"(reporter|writer|editor|correspondent|journalist|columnist|contributor|producer)\b.*"
)
_TEASER_HEADER_LINE = re.compile(rf"\W*({_TEASER_HEADERS})\W*", re.IGNORECASE)
_LIST_ITEM = re.compile(r"[-–•*·]\s+\S")
_SENTENCE_END = re.compile(r"[.!?…:;\"”»)]$")
# Lines longer than this are prose even if they start like a prompt.
_MAX_FULL_LINE = 240
_MAX_CONTAINS_LINE = 400
_MAX_TEASER_LINE = 160


def _is_boilerplate(line: str) -> bool:
    if len(line) <= _MAX_CONTAINS_LINE and _CONTAINS.search(line):
        return True
    if len(line) > _MAX_FULL_LINE:
        return False
    stripped = line.strip(" \t•·*|-–—>»›")
    return _FULL_LINE.fullmatch(stripped) is not None or _BYLINE.fullmatch(stripped) is not None


def _is_dateline(line: str) -> bool:
    """A line that is only a date or time stamp ("05.08.2024, 20:59 Uhr", "May 3, 2025")."""
    if len(line) > 60 or line.endswith("."):
        return False
    digits = sum(ch.isdigit() for ch in line)
    letters = sum(ch.isalpha() for ch in line)
    return digits >= 4 and letters <= digits


def _is_doubled(line: str) -> bool:
    """Teaser cards often render their headline twice: "Title Title"."""
    words = line.split()
    half = len(words) // 2
    return len(words) >= 4 and len(words) % 2 == 0 and words[:half] == words[half:]


def _is_teaser_item(line: str) -> bool:
    return bool(_LIST_ITEM.match(line)) or (
        len(line) <= _MAX_TEASER_LINE and not _SENTENCE_END.search(line)
    )


def clean_body(text: str, *, title: str | None) -> str:
    """Drop boilerplate lines trafilatura keeps."""
    lines = [_SPACE.sub(" ", line).strip() for line in text.splitlines()]
    lines = [line for line in lines if _WORD.search(line)]
    title_key = _key(title) if title else ""
    if title_key:
        # The headline repeated as a body line, usually first, sometimes after a kicker.
        for i, line in enumerate(lines[:3]):
            if title_key in (_key(line), _key(_TITLE_SEPARATOR.split(line)[0])):
                del lines[i]
                break
    kept: list[str] = []
    mode = ""  # "reactions" or "teasers": the lines after such a header are dropped too
    for line in lines:
        if mode == "reactions" and (_key(line) in _REACTION_WORDS or _key(line).isdigit()):
            continue
        if mode == "teasers" and _is_teaser_item(line):
            continue
        mode = ""
        if _TWEET_SIGNATURE.fullmatch(line):
            # An embedded post: its text is the line just before the signature.
            if kept and len(kept[-1]) <= 320:
                kept.pop()
            continue
        if _is_boilerplate(line) or _is_dateline(line) or _is_doubled(line):
            if "reaction" in line.casefold():
                mode = "reactions"
            elif _TEASER_HEADER_LINE.fullmatch(line):
                mode = "teasers"
            continue
        kept.append(line)
    while kept and _AUTHOR_BIO.fullmatch(kept[-1]) and len(kept[-1]) <= 600:
        kept.pop()
    return "\n".join(kept)


# ---------------------------------------------------------------- title

_ARTICLES = ("the", "die", "der", "das", "le", "la", "les", "el", "il")
_TRANSLITERATE = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})
_NOT_ALNUM = re.compile(r"[\W_]+")
# A longer "site name" is a page title that leaked into og:site_name.
_MAX_SITENAME = 60
_HOST_NOISE = {"www", "m", "amp", "edition", "news", "com", "net", "org", "co"}


def _fold(text: str) -> set[str]:
    """Letters and digits only, casefolded, with and without German transliteration."""
    out = set()
    for variant in (text.casefold(), text.casefold().translate(_TRANSLITERATE)):
        plain = "".join(
            ch for ch in unicodedata.normalize("NFKD", variant) if not unicodedata.combining(ch)
        )
        out.add(_NOT_ALNUM.sub("", plain))
    out.discard("")
    return out


def _site_keys(sitename: str | None, url: str | None = None) -> set[str]:
    """Ways a site writes its own name: "DIE WELT", "welt.de", "Deutsche Welle" as "DW"."""
    keys: set[str] = set()
    if sitename and len(sitename) <= _MAX_SITENAME:
        keys |= _fold(sitename)
        words = _WORD.findall(sitename.casefold())
        if words and words[0] in _ARTICLES and len(words) > 1:
            keys |= _fold(" ".join(words[1:]))
        if len(words) > 1:
            keys.add("".join(w[0] for w in words))
        if "." in sitename:  # "Golem.de", "Globalnews.ca"
            keys |= _fold(sitename.rsplit(".", 1)[0])
    if url:
        host = urlsplit(url).hostname or ""
        labels = [label for label in host.split(".")[:-1] if label not in _HOST_NOISE]
        for label in labels:
            keys |= _fold(label)
    return {key for key in keys if len(key) >= 2}


def _is_site(segment: str, keys: set[str]) -> bool:
    folded = _fold(segment)
    if "." in segment:  # "MDR.DE", "Globalnews.ca"
        folded |= _fold(segment.rsplit(".", 1)[0])
    for key in folded:
        for site in keys:
            short, long = sorted((key, site), key=len)
            # "Golem.de" for golem, but not "Kate Moss on the VOGUE cover" for vogue
            if short == long or (len(short) >= 4 and short in long and 2 * len(short) >= len(long)):
                return True
    words = _WORD.findall(segment.casefold())
    return len(words) > 1 and "".join(w[0] for w in words) in keys


def _is_tail_noise(segment: str) -> bool:
    """A date or a byline after the headline: "16 May 2025", "by Cristina Laila"."""
    digits = sum(ch.isdigit() for ch in segment)
    if len(segment) <= 30 and digits >= 2 and sum(ch.isalpha() for ch in segment) <= 12:
        return True
    return _BYLINE.fullmatch(segment) is not None


def _title_from_page(page: str, feed: str, keys: set[str]) -> str:
    segments = _TITLE_SEPARATOR.split(page)
    if feed:
        feed_key = _key(feed)
        if _key(page) == feed_key:
            return page
        for k in range(1, len(segments)):
            # "Title | Site", "Title - Site - date" or "Site: Title" around the feed's headline
            if feed_key in (_key(" ".join(segments[:k])), _key(" ".join(segments[k:]))):
                return feed
    if len(segments) < 2 or not keys:
        return page
    head, tail = 0, len(segments)
    while tail - head > 1 and (
        _is_site(segments[tail - 1], keys) or _is_tail_noise(segments[tail - 1])
    ):
        tail -= 1
    if tail == len(segments):
        while tail - head > 1 and _is_site(segments[head], keys):
            head += 1
    elif not any(_is_site(s, keys) for s in segments[tail:]):
        return page  # only a date went: keep the page title whole
    if (head, tail) == (0, len(segments)):
        return page
    # Cut the raw string at the segments dropped, so the headline's own punctuation survives.
    cut = page
    for segment in reversed(segments[tail:]):
        cut = cut[: max(cut.rfind(segment), 0)]
    for segment in segments[:head]:
        cut = cut[cut.find(segment) + len(segment) :]
    return cut.strip(" |–—•·»*:-：｜") or page


def _choose_title(page_title: str | None, feed_title: str | None, keys: set[str]) -> str | None:
    page = _SPACE.sub(" ", page_title).strip() if page_title else ""
    feed = _SPACE.sub(" ", feed_title).strip() if feed_title else ""
    if not page:
        return feed or None
    return _title_from_page(page, feed, keys)


def choose_title(
    page_title: str | None, feed_title: str | None, sitename: str | None
) -> str | None:
    """Pick the clean headline: the feed's when the page only decorates it, else the page's."""
    return _choose_title(page_title, feed_title, _site_keys(sitename))


# ---------------------------------------------------------------- date and language


def parse_published(value: str | None) -> datetime | None:
    """Trafilatura's date string as an aware UTC datetime; no zone given means UTC."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


@lru_cache(maxsize=1)
def _language_identifier() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(title: str | None, text: str) -> str | None:
    """ISO 639-1 code of the text per py3langid, or None when too short or unsure."""
    if len(text.strip()) < MIN_LANGUAGE_CHARS:
        return None
    sample = f"{title}\n{text[:LANGUAGE_SAMPLE_CHARS]}" if title else text[:LANGUAGE_SAMPLE_CHARS]
    lang, confidence = _language_identifier().classify(sample)
    if confidence < MIN_LANGUAGE_CONFIDENCE:
        return None
    return str(lang)


# ---------------------------------------------------------------- extraction


def _clean_meta(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    value = _SPACE.sub(" ", unicodedata.normalize("NFC", value)).strip()
    return value or None


def extract_html(
    html: bytes | str, *, url: str | None = None, feed_title: str | None = None
) -> Extracted | None:
    """Extract article text and metadata from one HTML page; None when no usable text."""
    source = decode_html(html) if isinstance(html, bytes) else html
    # lxml refuses str input that still carries an encoding declaration.
    source = _XML_DECLARATION.sub("", source, count=1)
    if not source.strip():
        return None
    try:
        document = trafilatura.bare_extraction(
            source,
            url=url,
            with_metadata=True,
            date_extraction_params={**set_date_params(), "outputformat": DATE_FORMAT},
            **TRAFILATURA_OPTIONS,
        )
    except (ValueError, TypeError, LookupError, RecursionError, etree.LxmlError):
        # Hostile markup (absurd nesting, broken encodings) is a miss, not a crash.
        return None
    if document is None or isinstance(document, dict):
        return None
    sitename = _clean_meta(document.sitename)
    keys = _site_keys(sitename, url or _clean_meta(document.url))
    title = _choose_title(_clean_meta(document.title), _clean_meta(feed_title), keys)
    raw_text = unicodedata.normalize("NFC", document.text or "")
    text = clean_body(raw_text, title=title)
    if len(text) < MIN_TEXT_CHARS or len(_WORD.findall(text)) < MIN_TEXT_WORDS:
        return None
    return Extracted(
        title=title,
        author=_clean_meta(document.author),
        published_at=parse_published(document.date),
        language=detect_language(title, text),
        sitename=sitename,
        text=text,
    )
