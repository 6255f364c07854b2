// Runs GGUF files in llama.cpp through node-llama-cpp's prebuilt CPU binary (no download, no
// build, no GPU) and prints one JSON line: for each request, the greedy next token at each step.
//
//   node llama_cpp.mjs '[{"model": "F.gguf", "prompt": [1, 2, 3], "steps": 64}, ...]'
//   node llama_cpp.mjs '[{"model": "F.gguf", "prompt": [...], "force": [...], "lora": "A.gguf"}]'
//
// Without "force" each prediction is fed back (greedy generation of `steps` tokens); with it the
// given tokens are fed instead (teacher forcing) and the prediction before each is reported.
import { getLlama, LlamaLogLevel } from "node-llama-cpp";

const llama = await getLlama({
  gpu: false,
  build: "never",
  usePrebuiltBinaries: true,
  skipDownload: true,
  progressLogs: false,
  logLevel: LlamaLogLevel.error,
});

async function predict(request) {
  const model = await llama.loadModel({ modelPath: request.model, gpuLayers: 0 });
  const steps = request.force ? request.force.length : request.steps;
  const context = await model.createContext({
    contextSize: request.prompt.length + steps + 1,
    threads: 1,
    ...(request.lora ? { lora: { adapters: [{ filePath: request.lora }] } } : {}),
  });
  const predicted = [];
  const generator = context.getSequence().evaluate(request.prompt, { temperature: 0, yieldEogToken: true });
  let step = await generator.next();
  while (!step.done && predicted.length < steps) {
    predicted.push(step.value);
    if (predicted.length === steps) break;
    step = await generator.next(request.force ? request.force[predicted.length - 1] : step.value);
  }
  await generator.return();
  await context.dispose();
  await model.dispose();
  return predicted;
}

const results = [];
for (const request of JSON.parse(process.argv[2])) results.push(await predict(request));
console.log(JSON.stringify({ predicted: results }));
await llama.dispose();
