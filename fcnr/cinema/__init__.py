"""Cinema databases (spec D) in and out: export a run's images, import ParaView's and VisIt's.

A spec-D database is a folder ``NAME.cdb/`` with ``data.csv`` (one row per image: parameter
columns, then ``FILE*`` columns with paths relative to the folder) and the files it names.
``database`` reads and writes data.csv, ``cameras`` maps each writer's phi/theta to this
project's view angles (theta from +z, phi from +x), ``export`` writes a run as a database and
``importing`` turns a database into this project's image layout and views.csv.

What ``fcnr cinema export`` writes (the sidecar's format is ``fcnr-cinema``, version 1; see ``export``)::

    NAME.cdb/data.csv           time,view,phi,theta,FILE
    NAME.cdb/fcnr-cinema.json   the angle convention, units and where the images came from
    NAME.cdb/t{t:04d}/v{view:04d}.png

Layering: above ``fcnr.viewer`` (it reads runs with ``fcnr.viewer.run``), below ``fcnr.commands``.
"""
