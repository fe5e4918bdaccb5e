"""A document leaves as an attachment under a file name that is only a name, ending in the
extension of the content type its bytes were checked to be (vault.downloads)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vault.downloads import safe_filename


@pytest.mark.parametrize(
    ("name", "content_type", "saved_as"),
    [
        ("My CV.pdf", "application/pdf", "My CV.pdf"),
        ("My CV", "application/pdf", "My CV.pdf"),
        ("cv.html", "application/pdf", "cv.html.pdf"),
        ("scan.JPEG", "image/jpeg", "scan.JPEG"),
        ("scan", "image/jpeg", "scan.jpg"),
        ("photo.png.exe", "image/png", "photo.png.exe.png"),
        ("../../etc/passwd", "application/pdf", "passwd.pdf"),
        ("C:\\Users\\an\\cv", "application/pdf", "cv.pdf"),
        ('a "quoted"\r\nX-Header: 1', "application/pdf", "a quotedX-Header: 1.pdf"),
        ("...", "application/pdf", "document.pdf"),
    ],
)
def test_a_name_is_saved_as_a_plain_file_name_with_its_types_extension(name, content_type, saved_as):
    assert safe_filename(name, content_type) == saved_as


@given(st.text(max_size=60), st.sampled_from(["application/pdf", "image/png", "image/jpeg"]))
def test_no_name_carries_a_path_a_quote_or_a_control_character(name, content_type):
    saved = safe_filename(name, content_type)
    assert saved and not any(ch in saved for ch in '/\\"') and all(ord(ch) >= 32 for ch in saved)
    assert saved.lower().endswith((".pdf", ".png", ".jpg", ".jpeg"))
