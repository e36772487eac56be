"""The offscreen VTK pipeline for one volume: built once, then only the camera moves."""

from __future__ import annotations

import os
from typing import Any

import numpy as np

# Importing this module registers VTK's OpenGL volume mapper.
import vtkmodules.vtkRenderingVolumeOpenGL2  # noqa: F401
from vtkmodules.util.numpy_support import numpy_to_vtk, vtk_to_numpy
from vtkmodules.vtkCommonCore import vtkUnsignedCharArray
from vtkmodules.vtkCommonDataModel import vtkImageData, vtkPiecewiseFunction
from vtkmodules.vtkFiltersCore import vtkFlyingEdges3D
from vtkmodules.vtkRenderingCore import (
    vtkActor,
    vtkColorTransferFunction,
    vtkLightKit,
    vtkPolyDataMapper,
    vtkRenderer,
    vtkRenderWindow,
    vtkVolume,
    vtkVolumeProperty,
)
from vtkmodules.vtkRenderingOpenGL2 import vtkEGLRenderWindow
from vtkmodules.vtkRenderingVolume import vtkGPUVolumeRayCastMapper

from render.camera import camera_pose
from render.transfer import color_points, opacity_points


class Scene:
    """Renders one volume (IR isosurface or DVR) from any view into RGB uint8 images.

    ``settings`` is a manifest's validated ``render`` section. Voxels have unit spacing, so
    the volume spans [0, n-1] on each axis and opacities are per voxel length.
    """

    def __init__(
        self, volume: np.ndarray, mode: str, settings: dict[str, Any], size: int,
        source: str = "manifest",
    ) -> None:  # fmt: skip
        self.size = size
        self.settings = settings
        self.image = _image_data(volume)
        bounds = np.array(self.image.GetBounds()).reshape(3, 2)
        self.centre = bounds.mean(axis=1)
        self.radius = 0.5 * float(np.linalg.norm(bounds[:, 1] - bounds[:, 0]))

        self.renderer = vtkRenderer()
        self.renderer.SetBackground(*settings["background"])
        self.renderer.AutomaticLightCreationOff()
        vtkLightKit().AddLightsToRenderer(self.renderer)
        if mode == "ir":
            self.renderer.AddActor(self._isosurface(settings))
        elif mode == "dvr":
            self.renderer.AddVolume(self._volume(settings["dvr"], source))
        else:
            raise ValueError(f"mode must be 'ir' or 'dvr', got {mode!r}")

        self.window = offscreen_window()
        self.window.SetOffScreenRendering(True)
        self.window.SetMultiSamples(0)  # no MSAA: identical bytes whatever the driver offers
        self.window.SetSize(size, size)
        self.window.AddRenderer(self.renderer)
        self._pixels = vtkUnsignedCharArray()

    def _isosurface(self, settings: dict[str, Any]) -> vtkActor:
        """Returns the shaded isosurface actor at ``settings['isovalue']``."""
        contour = vtkFlyingEdges3D()
        contour.SetInputData(self.image)
        contour.SetValue(0, float(settings["isovalue"]))
        contour.ComputeNormalsOn()
        contour.ComputeScalarsOff()
        mapper = vtkPolyDataMapper()
        mapper.SetInputConnection(contour.GetOutputPort())
        mapper.ScalarVisibilityOff()
        actor = vtkActor()
        actor.SetMapper(mapper)
        prop = actor.GetProperty()
        prop.SetColor(*settings["ir_color"])
        prop.SetAmbient(0.15)
        prop.SetDiffuse(0.8)
        prop.SetSpecular(0.25)
        prop.SetSpecularPower(30.0)
        return actor

    def _volume(self, dvr: dict[str, Any], source: str) -> vtkVolume:
        """Returns the ray-cast volume with the manifest's colour and opacity transfer functions."""
        colors = vtkColorTransferFunction()
        for value, r, g, b in color_points(dvr, source):
            colors.AddRGBPoint(value, r, g, b)
        opacity = vtkPiecewiseFunction()
        for value, alpha in opacity_points(dvr, source):
            opacity.AddPoint(value, alpha)
        prop = vtkVolumeProperty()
        prop.SetColor(colors)
        prop.SetScalarOpacity(opacity)
        prop.SetInterpolationTypeToLinear()
        prop.SetShade(bool(dvr["shade"]))
        prop.SetAmbient(0.3)
        prop.SetDiffuse(0.7)
        prop.SetSpecular(0.2)
        mapper = vtkGPUVolumeRayCastMapper()
        mapper.SetInputData(self.image)
        # Fixed sampling: automatic adjustment depends on frame time and breaks determinism.
        mapper.AutoAdjustSampleDistancesOff()
        mapper.SetSampleDistance(float(dvr["sample_distance"]))
        mapper.UseJitteringOff()
        volume = vtkVolume()
        volume.SetMapper(mapper)
        volume.SetProperty(prop)
        return volume

    def render(self, theta: float, phi: float) -> np.ndarray:
        """Returns the (size, size, 3) uint8 image of the view (theta, phi)."""
        pose = camera_pose(theta, phi, self.centre, self.radius, self.settings["view_angle"])
        camera = self.renderer.GetActiveCamera()
        camera.SetFocalPoint(*pose.focal_point)
        camera.SetPosition(*pose.position)
        camera.SetViewUp(*pose.up)
        camera.SetViewAngle(pose.view_angle)
        camera.SetClippingRange(*pose.clipping_range)
        self.window.Render()
        n = self.size
        self.window.GetPixelData(0, 0, n - 1, n - 1, 0, self._pixels, 0)
        pixels = vtk_to_numpy(self._pixels).reshape(n, n, 3)
        return np.ascontiguousarray(pixels[::-1])  # OpenGL rows start at the bottom

    def close(self) -> None:
        """Releases the window's graphics resources."""
        self.window.Finalize()


def offscreen_window() -> vtkRenderWindow:
    """Returns a headless render window: EGL, unless $VTK_DEFAULT_OPENGL_WINDOW names another.

    VTK's default factory tries X first and warns when there is no display; rendering here
    never wants a display. Set VTK_DEFAULT_OPENGL_WINDOW=vtkOSOpenGLRenderWindow for OSMesa.
    """
    if os.environ.get("VTK_DEFAULT_OPENGL_WINDOW"):
        return vtkRenderWindow()
    return vtkEGLRenderWindow()


def _image_data(volume: np.ndarray) -> vtkImageData:
    """Returns ``volume`` ([x, y, z] array) as vtkImageData with unit spacing at the origin."""
    image = vtkImageData()
    image.SetDimensions(*volume.shape)
    scalars = numpy_to_vtk(np.asarray(volume, dtype=np.float32).ravel(order="F"), deep=True)
    scalars.SetName("scalar")
    image.GetPointData().SetScalars(scalars)
    return image
