//! Wake-word detection for smart-speaker mode (openWakeWord models on ONNX Runtime).
