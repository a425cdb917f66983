"""The trainers' dashboard, in parts the Solara page (``sim.app``) puts together: who may
open it and which files it may read (``access``), what the captions and status line say
(``story``)."""
