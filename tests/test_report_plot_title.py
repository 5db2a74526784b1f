"""A long figure title is wrapped to the figure, never cut at its edges."""

from __future__ import annotations

from surveytk.report.forest import new_figure, suptitle


def test_long_title_fits_inside_the_figure() -> None:
    fig = new_figure(5.0, 4.0)
    fig.add_subplot()
    suptitle(fig, "Predicted probability of intending to return, by age and gender, pooled")
    fig.canvas.draw()  # type: ignore[no-untyped-call]
    text = fig._suptitle
    assert text is not None
    box = text.get_window_extent()
    width = fig.get_figwidth() * fig.dpi
    assert box.x0 >= 0 and box.x1 <= width
    assert "\n" in text.get_text()
