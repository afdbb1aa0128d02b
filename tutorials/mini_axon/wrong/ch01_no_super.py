"""Chapter 1, wrong on purpose: Greeter.__init__ forgets super().__init__()."""

from collections.abc import Generator

from tutorials.mini_axon.answers.ch01 import Microprocess


class Greeter(Microprocess):
    def __init__(self, word: str, times: int) -> None:
        self.word = word  # no super().__init__(), so no .generator and no .done
        self.times = times

    def main(self) -> Generator[int, None, None]:
        for i in range(self.times):
            print(f"{self.word} {i}")
            yield i
