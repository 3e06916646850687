"""The gazetteer: places the team knows, and matching location texts to them.

normalise: place text -> key; matching: PlaceIndex.resolve; store: the tables."""
