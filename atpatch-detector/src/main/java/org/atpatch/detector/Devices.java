package org.atpatch.detector;

import ai.djl.Device;
import ai.djl.engine.Engine;

/** Checks that a device asked for exists on this machine before anything is put on it. */
public final class Devices {

    private Devices() {}

    /**
     * @param device a device, or {@code null} for the engine's default
     * @return {@code device}
     * @throws IllegalArgumentException when it is a GPU this engine does not see (a CPU build of
     *     PyTorch, no CUDA driver, or a device id past the last GPU), naming the device and the count
     */
    public static Device requireAvailable(Device device) {
        if (device != null && device.isGpu()) {
            int gpus = Engine.getInstance().getGpuCount();
            if (device.getDeviceId() >= gpus) {
                throw new IllegalArgumentException("device " + device + " is not available: the "
                        + Engine.getInstance().getEngineName() + " engine sees " + gpus + " GPU(s)"
                        + (gpus == 0 ? " (a CPU build of its native library, or no CUDA driver; build with the cuda profile"
                                + " on a machine with an NVIDIA GPU, or use Device.cpu())" : ""));
            }
        }
        return device;
    }
}
