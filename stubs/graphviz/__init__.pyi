# Type stubs for the part of the graphviz package (0.20) that Axon uses: the package ships
# no types (mypy --strict needs them; see pyproject.toml's [tool.mypy]).
from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import overload

__all__ = ["Digraph", "ExecutableNotFound"]

class ExecutableNotFound(RuntimeError): ...

class Digraph:
    def __init__(
        self,
        name: str | None = ...,
        comment: str | None = ...,
        filename: str | None = ...,
        directory: str | None = ...,
        format: str | None = ...,
        engine: str | None = ...,
        encoding: str | None = ...,
        graph_attr: Mapping[str, str] | None = ...,
        node_attr: Mapping[str, str] | None = ...,
        edge_attr: Mapping[str, str] | None = ...,
        body: list[str] | None = ...,
        strict: bool = ...,
    ) -> None: ...
    @property
    def source(self) -> str: ...
    # (the real methods also take ``_attributes``, a mapping Axon never passes)
    def node(self, name: str, label: str | None = ..., **attrs: str) -> None: ...
    def edge(self, tail_name: str, head_name: str, label: str | None = ...,
             **attrs: str) -> None: ...
    def attr(self, kw: str | None = ..., **attrs: str) -> None: ...
    @overload
    def subgraph(self, graph: None = ..., name: str | None = ..., comment: str | None = ...,
                 graph_attr: Mapping[str, str] | None = ...,
                 node_attr: Mapping[str, str] | None = ...,
                 edge_attr: Mapping[str, str] | None = ...,
                 body: list[str] | None = ...) -> AbstractContextManager[Digraph]: ...
    @overload
    def subgraph(self, graph: Digraph) -> None: ...
    def pipe(self, format: str | None = ..., renderer: str | None = ...,
             formatter: str | None = ..., neato_no_op: bool | int | None = ...,
             quiet: bool = ..., *, engine: str | None = ..., encoding: None = ...) -> bytes: ...
    def render(self, filename: str | None = ..., directory: str | None = ...,
               view: bool = ..., cleanup: bool = ..., format: str | None = ...) -> str: ...
