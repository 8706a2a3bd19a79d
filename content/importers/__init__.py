"""Bringing items from other systems into a Synaq pack: IMS QTI 2.1 and 3.0 (single files,
folders and zipped content packages) and Moodle GIFT. Each importer turns what it can carry
into the pack's item kinds and refuses the rest item by item, naming the interaction and the
file (docs/content-format.md, "Importing items"). Nothing here imports room_server."""
