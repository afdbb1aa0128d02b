"""Build your own mini-axon: a seven-chapter tutorial with answers and a checker."""
