"""Cleanup rules added for issue 17, and the body chosen for table-laid-out pages."""

from __future__ import annotations

from pipeline.extract import clean_body, extract_html

TITLE = "Prisoner swap agreed as Istanbul talks end"
STORY = "The delegations met for two hours and agreed to exchange a thousand prisoners each."


def test_headline_with_site_after_it_is_dropped() -> None:
    body = f"{TITLE} | Harbour Post\n{STORY}"
    assert clean_body(body, title=TITLE) == STORY


def test_paragraph_that_opens_with_the_headline_is_kept() -> None:
    line = f"{TITLE} | {STORY} Officials said the swap would take place next week in Ankara."
    assert clean_body(f"{line}\n{STORY}", title=TITLE) == f"{line}\n{STORY}"


def test_kicker_glued_to_headline_is_dropped() -> None:
    assert clean_body(f"WORLD NEWS {TITLE}\n{STORY}", title=TITLE) == STORY


def test_long_line_ending_with_the_headline_is_kept() -> None:
    line = f"As the ministry said on Friday in its statement to the press, {TITLE}"
    assert clean_body(f"{line}\n{STORY}", title=TITLE) == f"{line}\n{STORY}"


def test_gallery_caption_with_its_counter_is_dropped() -> None:
    body = f"{STORY}\n- 2/44 Protesters gather outside the consulate in Istanbul\n{STORY}"
    assert clean_body(body, title=None) == f"{STORY}\n{STORY}"


def test_sentence_with_a_fraction_is_kept() -> None:
    line = "Only 2/3 of the prisoners on the list had been identified by Friday."
    assert clean_body(f"{STORY}\n{line}", title=None) == f"{STORY}\n{line}"


def test_page_laid_out_in_table_cells_keeps_its_story() -> None:
    paragraphs = "".join(
        f"<p>{STORY} Paragraph {i} adds that the exchange was brokered by Turkish officials.</p>"
        for i in range(6)
    )
    nav = "".join(f'<td><a href="/s/{i}">Section {i}</a></td>' for i in range(8))
    page = (
        "<html><head><title>Talks</title></head><body><table><tr>"
        f"{nav}</tr><tr><td colspan='8'>{paragraphs}</td></tr></table></body></html>"
    ).encode()
    got = extract_html(page)
    assert got is not None
    assert got.text.count("Paragraph") == 6
