import fs from 'node:fs';
import ort from 'onnxruntime-node';
import { preprocessImage } from './dist/src/tflite/preprocess.js';
const L=JSON.parse(fs.readFileSync('/tmp/s6/lists.json'));
const files=[...L.noicc.slice(0,40), ...L.icc.slice(0,40)];
const px=[]; for (const f of files) px.push(await preprocessImage(f,{width:224,height:224}));
const model = fs.readFileSync('/tmp/s6/embcache/feature-onnx/nsfwjs-mobilenet_v2-b4f2e3cad588e99c.onnx');
async function mk(threads, spin, extraOpts={}){ return ort.InferenceSession.create(model,{intraOpNumThreads:threads, interOpNumThreads:1, graphOptimizationLevel:'all', executionMode:'sequential', logSeverityLevel:3, extra:{session:{intra_op:{allow_spinning: spin}}}, ...extraOpts}); }
const cfgs = { t1:[1,'0'], t2:[2,'0'], t2spin:[2,'1'], t1noarena:[1,'0',{enableCpuMemArena:false}], t1nopattern:[1,'0',{enableMemPattern:false}] };
const sess = {}; for (const [k,[t,s,e]] of Object.entries(cfgs)) sess[k]=await mk(t,s,e);
const inName = sess.t1.inputNames[0];
for (let r=0;r<3;r++) for (const [k,s] of Object.entries(sess)) {
  const c0=process.cpuUsage(); const t0=performance.now();
  for (const p of px) await s.run({[inName]: new ort.Tensor('uint8', p, [1,224,224,3])});
  const c=process.cpuUsage(c0); console.log(r, k.padEnd(12), 'wall', ((performance.now()-t0)/px.length).toFixed(2), 'cpu', ((c.user+c.system)/1000/px.length).toFixed(2));
}
