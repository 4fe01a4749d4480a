"""The footer of every screen: Textual's, showing only the keys it can show whole.

Textual's footer lays its keys out in one row and docks the command palette's key on the right,
over whatever key reaches that far: on a narrow terminal a key was half hidden under it, and a
letter of one showed past its end. Here the keys that do not fit whole left of the palette key
(or of the edge) are left out, the first that does not fit and every one after it, so the footer
reads as a list cut between two keys; `?` lists them all. Every key is shown again after each
recompose (the bindings changed) and each resize, and what is cut is left out after each layout of
the screen: keys recomposed while another screen (the command palette) was on top are only laid
out once their screen is back, and measured before that they all seemed to fit.
"""

from __future__ import annotations

from textual import events
from textual.widget import Widget
from textual.widgets import Footer
from textual.widgets._footer import FooterKey


class FittingFooter(Footer):
    def on_mount(self) -> None:
        self.screen.screen_layout_refresh_signal.subscribe(self, self._laid_out)

    def on_unmount(self) -> None:
        self.screen.screen_layout_refresh_signal.unsubscribe(self)

    def _laid_out(self, screen: object) -> None:
        self._leave_out_what_is_cut()

    async def recompose(self) -> None:
        await super().recompose()
        self._fit()

    def on_resize(self, event: events.Resize) -> None:
        self._fit()

    def _keys(self) -> list[Widget]:
        return [child for child in self.children if not child.has_class("-command-palette")]

    def _fit(self) -> None:
        for child in self._keys():
            child.display = True
        self.call_after_refresh(self._leave_out_what_is_cut)

    def _leave_out_what_is_cut(self) -> None:
        if not self.region:
            return
        palette = [key for key in self.query(FooterKey) if key.has_class("-command-palette") and key.display]
        edge = min([key.region.x for key in palette] + [self.region.right])
        cut = False
        for child in self._keys():
            cut = cut or child.region.right > edge
            if cut:
                child.display = False
