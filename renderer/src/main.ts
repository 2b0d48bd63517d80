import { createPinia } from 'pinia';
import { createApp } from 'vue';
import TheApp from './components/TheApp.vue';
import { pickLab, setLab } from './api/lab';
import './style.css';

setLab(pickLab(window));
createApp(TheApp).use(createPinia()).mount('#app');
