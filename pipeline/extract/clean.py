"""Boilerplate lines trafilatura keeps: prompts, teasers, credits, bylines, repeated headlines."""

from __future__ import annotations

import re

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
# "- 2/44 A crowd gathers outside ...": a slideshow caption with its position in the gallery.
_GALLERY_CAPTION = re.compile(r"[-–•]\s*\d{1,3}\s*/\s*\d{1,3}\s+\S.*")
_TEASER_HEADER_LINE = re.compile(rf"\W*({_TEASER_HEADERS})\W*", re.IGNORECASE)
_LIST_ITEM = re.compile(r"[-–•*·]\s+\S")
_SENTENCE_END = re.compile(r"[.!?…:;\"”»)]$")
# Lines longer than this are prose even if they start like a prompt.
_MAX_FULL_LINE = 240
_MAX_CONTAINS_LINE = 400
_MAX_TEASER_LINE = 160
# What may follow a repeated headline on its line (site name, date) or precede it (a kicker).
_MAX_TITLE_TAIL = 80
_MAX_KICKER_WORDS = 4


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


def _repeats_title(line: str, title_key: str) -> bool:
    """The headline alone, with a site or date after it, or with a short kicker glued before it."""
    key = _key(line)
    if key == title_key:
        return True
    head, *rest = _TITLE_SEPARATOR.split(line, maxsplit=1)
    if rest and _key(head) == title_key:
        # "Title | Site" goes; "Title | First sentence of the story..." is the story.
        return len(rest[0]) <= _MAX_TITLE_TAIL
    kicker = key[: -len(title_key)].split() if key.endswith(title_key) else None
    return kicker is not None and 0 < len(kicker) <= _MAX_KICKER_WORDS


def clean_body(text: str, *, title: str | None) -> str:
    """Drop boilerplate lines trafilatura keeps."""
    lines = [_SPACE.sub(" ", line).strip() for line in text.splitlines()]
    lines = [line for line in lines if _WORD.search(line)]
    title_key = _key(title) if title else ""
    if title_key:
        # The headline repeated as a body line, usually first, sometimes after a kicker.
        for i, line in enumerate(lines[:3]):
            if _repeats_title(line, title_key):
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
        if _GALLERY_CAPTION.fullmatch(line):
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
